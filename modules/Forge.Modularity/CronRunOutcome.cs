namespace Forge.Modularity;

/// <summary>How a run ended; run records, metrics and logs write it in lower case.</summary>
public enum CronRunOutcome
{
    Success,
    Failure,
    Skipped,
}
