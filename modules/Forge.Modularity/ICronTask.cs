namespace Forge.Modularity;

/// <summary>
/// The work behind a cron task. The same service is called by the scheduler and by the command line,
/// so it knows nothing about Quartz; the host records the run and its outcome.
/// </summary>
public interface ICronTask
{
    Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken);
}

/// <summary>One run of a task: its validated settings and what started it.</summary>
public sealed record CronTaskContext(string TaskName, CronTaskSettings Settings, CronRunTrigger Trigger, long RunId);
