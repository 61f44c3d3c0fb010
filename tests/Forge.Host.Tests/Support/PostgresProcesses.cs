using System.Runtime.InteropServices;

namespace Forge.Host.Tests.Support;

/// <summary>Signals sent to processes in these tests (Linux numbers).</summary>
public enum Signal
{
    SIGINT = 2,
    SIGQUIT = 3,
    SIGTERM = 15,
}

/// <summary>The PostgreSQL servers running on this machine, as /proc shows them.</summary>
public static partial class PostgresProcesses
{
    /// <summary>Ids of the <c>postgres</c> processes whose command line names <paramref name="dataDirectory"/> (the postmaster does).</summary>
    public static IReadOnlyList<int> Of(string dataDirectory)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                continue; // the process ended while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (argv.Length > 0 && Path.GetFileName(argv[0]) == "postgres" && argv.Any(a => a.Contains(dataDirectory, StringComparison.Ordinal)))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>
    /// The servers still running under <paramref name="folder"/> once they have had time to go: a postmaster
    /// removes its pid file, on which pg_ctl's stop waits, a moment before its process ends.
    /// </summary>
    public static Task<IReadOnlyList<int>> LeftAfterStopAsync(string folder) => Poll.UntilAsync(() => Of(folder), pids => pids.Count == 0);

    /// <summary>Shuts down, immediately, any server a failed test left running under <paramref name="folder"/>.</summary>
    public static async Task StopLeftoversAsync(string folder)
    {
        foreach (var pid in Of(folder))
        {
            Send(pid, Signal.SIGQUIT);
        }

        await LeftAfterStopAsync(folder);
    }

    public static void Send(int pid, Signal signal)
    {
        if (kill(pid, (int)signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a single libc call, as in EmbeddedPostgres
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054, CA5392
}
