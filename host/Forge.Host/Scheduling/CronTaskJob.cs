using Forge.Modularity;
using Quartz;

namespace Forge.Host.Scheduling;

/// <summary>
/// The one Quartz job behind every cron task: a thin adapter that hands the fire to <see cref="CronRunner"/>.
/// One job per task (its key is the task name), never two fires of one task at once on a node.
/// </summary>
[DisallowConcurrentExecution]
public sealed class CronTaskJob(CronRunner runner) : IJob
{
    public const string Group = "forge-cron";
    /// <summary>The trigger group of run-at-start fires, so that a task's name never decides what started it.</summary>
    public const string StartGroup = "forge-cron-start";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        // TriggerJob (the admin API's "run now") marks its one-off trigger in the trigger's data map.
        var trigger = context.Trigger.JobDataMap.ContainsKey(SchedulerConstants.ManualTrigger) ? CronRunTrigger.Manual
            : context.Trigger.Key.Group == StartGroup ? CronRunTrigger.Start
            : CronRunTrigger.Schedule;
        var scheduledFor = trigger == CronRunTrigger.Schedule ? context.ScheduledFireTimeUtc : null;
        await runner.RunAsync(context.JobDetail.Key.Name, trigger, cancellationToken, scheduledFor);
    }
}
