namespace Forge.Modularity;

/// <summary>
/// The work behind a cron task. The same service is called by the scheduler and by the command line,
/// so it knows nothing about Quartz; the host records the run and its outcome.
/// </summary>
public interface ICronTask
{
    Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken);
}

/// <summary>Why a run started.</summary>
public enum CronRunTrigger
{
    Schedule,
    Start,
    Manual,

    /// <summary>Run right after another task that asked for it (<see cref="CronTaskResult.FollowUps"/>).</summary>
    Chained,
}

public enum CronRunOutcome
{
    Success,
    Failure,
    Skipped,
}

/// <summary>One run of a task: its validated settings and what started it.</summary>
public sealed record CronTaskContext(string TaskName, CronTaskSettings Settings, CronRunTrigger Trigger, long RunId);

/// <summary>How a run ended, with a one-line summary for <c>cron list</c> and the logs.</summary>
public sealed record CronTaskResult(CronRunOutcome Outcome, string Summary)
{
    /// <summary>Tasks to run right after this one (if enabled), e.g. the cleanup that frees what this one deleted.</summary>
    public IReadOnlyList<string> FollowUps { get; init; } = [];

    public static CronTaskResult Success(string summary) => new(CronRunOutcome.Success, summary);

    public static CronTaskResult Skipped(string summary) => new(CronRunOutcome.Skipped, summary);

    public static CronTaskResult Failure(string summary) => new(CronRunOutcome.Failure, summary);
}
