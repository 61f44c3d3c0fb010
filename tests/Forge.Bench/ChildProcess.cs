using System.Diagnostics;
using System.Globalization;

namespace Forge.Bench;

/// <summary>A failure of the benchmark itself: the contenders disagree, a process failed, a check did not hold.</summary>
public sealed class BenchException(string message) : Exception(message);

/// <summary>What a finished child process printed and how long it ran; its peak resident memory when measured.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, double WallSeconds, long? PeakKilobytes);

/// <summary><c>dotnet &lt;dll&gt; args</c> as a child process, optionally under <c>/usr/bin/time -f %M</c> for its peak resident memory.</summary>
public static class ChildProcess
{
    public const string TimeProgram = "/usr/bin/time";

    /// <summary>The environment a Forge command needs: the database, quiet logs, and no embedded cluster or content store anywhere near.</summary>
    public static Dictionary<string, string> ForgeEnvironment(string connectionString) => new()
    {
        ["ConnectionStrings__Forge"] = connectionString,
        ["Logging__LogLevel__Default"] = "Warning",
        ["Forge__DataPath"] = Path.Combine(Path.GetTempPath(), $"forge-bench-data-{Environment.ProcessId}"),
    };

    /// <summary>Runs <c>dotnet &lt;dll&gt; args</c> to its end; <paramref name="standardInput"/>, when given, is written to its input before it is closed.</summary>
    public static async Task<ProcessResult> RunAsync(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string? peakMemoryFile, string? standardInput = null)
    {
        var start = StartInfo(dll, arguments, environment, peakMemoryFile);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new BenchException($"Could not start {start.FileName}.");
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var wall = clock.Elapsed.TotalSeconds;
        long? peak = null;
        if (peakMemoryFile is not null && File.Exists(peakMemoryFile))
        {
            // /usr/bin/time writes "Command exited with non-zero status N" before the figure when the command fails.
            var last = File.ReadAllLines(peakMemoryFile).LastOrDefault(l => l.Length > 0);
            peak = long.TryParse(last, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kilobytes) ? kilobytes : null;
        }

        return new ProcessResult(process.ExitCode, await output, await error, wall, peak);
    }

    /// <summary>
    /// How to start <c>dotnet &lt;dll&gt; args</c> with its outputs and input redirected, in the dll's folder, with
    /// <paramref name="environment"/> (and no inherited <c>ConnectionStrings__Forge</c>); under <c>/usr/bin/time -f %M</c>
    /// writing to <paramref name="peakMemoryFile"/> when given.
    /// </summary>
    public static ProcessStartInfo StartInfo(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string? peakMemoryFile = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll),
        };
        if (peakMemoryFile is null)
        {
            start.FileName = DotnetHost();
        }
        else
        {
            start.FileName = TimeProgram;
            foreach (var argument in new[] { "-f", "%M", "-o", peakMemoryFile, DotnetHost() })
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ConnectionStrings__Forge");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>The dotnet executable: the one the CLI names in DOTNET_HOST_PATH, else the one running this process, else the one on PATH.</summary>
    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path
            : Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self
            : "dotnet";
}
