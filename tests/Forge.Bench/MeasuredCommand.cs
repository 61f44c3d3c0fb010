using System.Globalization;
using Forge.Tooling;

namespace Forge.Bench;

/// <summary>A command run to its end in its own process, and its peak resident memory when it was measured.</summary>
public sealed record MeasuredResult(ChildProcessResult Result, double? PeakMegabytes);

/// <summary>
/// Runs a benchmark's command in its own process, under GNU time (<see cref="TimeProgram"/>, when installed) for
/// its peak resident memory; a command that fails stops the benchmark.
/// </summary>
public static class MeasuredCommand
{
    /// <summary>GNU time, which measures each timed command's peak resident memory when it is installed.</summary>
    public const string TimeProgram = "/usr/bin/time";

    /// <summary>Runs <paramref name="command"/> (<paramref name="what"/> in a failure's message), measuring its memory when <paramref name="measureMemory"/>.</summary>
    public static async Task<MeasuredResult> RunAsync(ChildProcessCommand command, string what, bool measureMemory = true)
    {
        var memoryFile = measureMemory && File.Exists(TimeProgram) ? Path.Combine(Path.GetTempPath(), $"forge-bench-{Guid.NewGuid():N}.peak") : null;
        try
        {
            var result = await ChildProcess.RunAsync(memoryFile is null ? command : command.Under(TimeProgram, "-f", "%M", "-o", memoryFile));
            if (result.ExitCode != 0)
            {
                throw new BenchException($"{what} failed with exit code {result.ExitCode}: {result.Errors.Trim()}");
            }

            return new MeasuredResult(result, PeakKilobytes(memoryFile) / 1024.0);
        }
        finally
        {
            if (memoryFile is not null)
            {
                File.Delete(memoryFile);
            }
        }
    }

    /// <summary>The peak resident memory <see cref="TimeProgram"/> wrote to <paramref name="file"/>, in KiB; null when not measured.</summary>
    private static long? PeakKilobytes(string? file)
    {
        if (file is null || !File.Exists(file))
        {
            return null;
        }

        // /usr/bin/time writes "Command exited with non-zero status N" before the figure when the command fails.
        var last = File.ReadAllLines(file).LastOrDefault(l => l.Length > 0);
        return long.TryParse(last, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kilobytes) ? kilobytes : null;
    }
}
