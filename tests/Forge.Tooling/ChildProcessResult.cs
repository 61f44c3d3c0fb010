namespace Forge.Tooling;

/// <summary>What a child process run to its end by <see cref="ChildProcess.RunAsync"/> printed and returned, and how long it ran.</summary>
public sealed record ChildProcessResult(int ExitCode, string Output, string Errors, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The lines of standard error, trimmed, empty ones left out.</summary>
    public IReadOnlyList<string> ErrorLines => Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
