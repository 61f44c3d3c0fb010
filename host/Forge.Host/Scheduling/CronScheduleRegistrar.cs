using Forge.Host.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Forge.Host.Scheduling;

/// <summary>
/// Puts the enabled tasks on the scheduler at start-up (replacing what a clustered store kept from an
/// earlier configuration), removes disabled ones, adds the run-at-start fires, and logs each next run.
/// </summary>
public sealed partial class CronScheduleRegistrar(
    ISchedulerFactory schedulers,
    CronTaskCatalog catalog,
    NodeIdentity node,
    ILogger<CronScheduleRegistrar> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var existing = await scheduler.QueryJobs(
            new JobQuery { Group = GroupMatcher<JobKey>.GroupEquals(CronTaskJob.Group), Take = PagedQuery.All }, cancellationToken);
        foreach (var job in existing.Items)
        {
            if (catalog.Find(job.Key.Name) is not { Enabled: true })
            {
                await scheduler.DeleteJob(job.Key, cancellationToken);
            }
        }

        if (catalog.Tasks.Count == 0)
        {
            LogNoTasks();
        }

        foreach (var task in catalog.Tasks)
        {
            if (!task.Enabled)
            {
                LogDisabled(task.Name);
                continue;
            }

            var jobKey = new JobKey(task.Name, CronTaskJob.Group);
            var job = JobBuilder.Create<CronTaskJob>().WithIdentity(jobKey).StoreDurably().Build();
            var triggers = new List<ITrigger> { task.Schedule.BuildTrigger(jobKey, new TriggerKey(task.Name, CronTaskJob.Group)) };
            if (task.RunAtStart)
            {
                triggers.Add(TriggerBuilder.Create()
                    .ForJob(jobKey)
                    .WithIdentity(new TriggerKey($"{task.Name}@{node.Name}", CronTaskJob.StartGroup))
                    .StartNow()
                    .Build());
            }

            await scheduler.ScheduleJob(job, triggers, new ScheduleJobOptions { Replace = true }, cancellationToken);
            var next = task.Schedule.NextAfter(DateTimeOffset.Now);
            LogScheduled(task.Name, task.Schedule.Text, next?.ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture) ?? "never", task.RunAtStart);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} scheduled: {Schedule}, next run at {Next} (run at start: {RunAtStart})")]
    private partial void LogScheduled(string task, string schedule, string next, bool runAtStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "No cron tasks: the enabled modules declare none")]
    private partial void LogNoTasks();

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} is disabled")]
    private partial void LogDisabled(string task);
}
