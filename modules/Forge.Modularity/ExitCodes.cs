namespace Forge.Modularity;

/// <summary>What the command line's exit codes mean; scripts and CI rely on them.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The work failed (a task failed, the database could not be reached, ...).</summary>
    public const int Failure = 1;

    /// <summary>The command line or the configuration is wrong; nothing was done.</summary>
    public const int UsageError = 2;

    /// <summary>The work was skipped because another run of it was in progress.</summary>
    public const int Skipped = 3;
}
