using System.Collections.Concurrent;
using System.Diagnostics;
using Forge.Host.Hosting;
using Forge.Testing;

namespace Forge.Host.Tests.Support;

/// <summary>
/// <c>dotnet forge.dll</c> as a child process: the host the test run built (the test project references it,
/// so forge.dll sits next to the tests), with the environment an operator would give it.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> errorLines = new();
    private readonly ConcurrentQueue<string> outputLines = new();

    private HostProcess(Process process)
    {
        this.process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errorLines.Enqueue(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                outputLines.Enqueue(e.Data);
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public int Id => process.Id;

    /// <summary>What the host logged so far: logs go to standard error.</summary>
    public string Errors => string.Join('\n', errorLines);

    /// <summary>What the host printed on standard output so far.</summary>
    public string Output => string.Join('\n', outputLines);

    public int ExitCode => process.ExitCode;

    public bool HasExited => process.HasExited;

    /// <summary>Ends the process at once (SIGKILL), as a crash or the kernel's OOM killer would: no shutdown code runs.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>Starts <c>forge</c> with <paramref name="args"/> and the environment given; no connection string, unless given.</summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var forge = typeof(ForgeApp).Assembly.Location;
        // Through env(1) with SIGINT back to its default, as a service manager or a terminal starts the host:
        // a test run started in the background (nohup, '&' in a script) ignores SIGINT, every child inherits
        // that, and the runtime rightly keeps an ignored SIGINT ignored. env execs, so the pid is forge's.
        var start = new ProcessStartInfo("/usr/bin/env")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(forge),
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(ForgeProcess.DotnetHost());
        start.ArgumentList.Add(forge);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ConnectionStrings__Forge");
        // A free port unless the test names one: hosts of parallel tests never fight over port 3000.
        start.Environment["Forge__Http__Urls"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new HostProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the forge process."));
    }

    /// <summary>Waits until the host logs a line containing <paramref name="text"/>; false if it exits or the deadline passes first.</summary>
    public async Task<bool> WaitForLogAsync(string text, TimeSpan deadline)
    {
        bool Logged() => errorLines.Any(line => line.Contains(text, StringComparison.Ordinal));
        await Poll.UntilAsync(() => Logged() || process.HasExited, done => done, deadline);
        return Logged();
    }

    /// <summary>Waits for the process to exit; false if it is still running at the deadline.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }
}
