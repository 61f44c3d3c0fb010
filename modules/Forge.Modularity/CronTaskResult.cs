namespace Forge.Modularity;

/// <summary>How a run ended, with a one-line summary for <c>cron list</c> and the logs.</summary>
public sealed record CronTaskResult(CronRunOutcome Outcome, string Summary)
{
    /// <summary>Tasks to run right after this one (if enabled), e.g. the cleanup that frees what this one deleted.</summary>
    public IReadOnlyList<string> FollowUps { get; init; } = [];

    public static CronTaskResult Success(string summary) => new(CronRunOutcome.Success, summary);

    public static CronTaskResult Skipped(string summary) => new(CronRunOutcome.Skipped, summary);

    public static CronTaskResult Failure(string summary) => new(CronRunOutcome.Failure, summary);
}
