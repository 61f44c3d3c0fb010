using System.Diagnostics;
using Forge.Host.Hosting;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Forge.Host.Scheduling;

/// <summary>
/// Puts the enabled tasks on the scheduler at start-up (replacing what a clustered store kept from an
/// earlier configuration), removes disabled ones, adds the run-at-start fires, and logs each next run.
/// Before that, it makes each enabled task once (a task that cannot be composed fails the start, not the
/// first run at midnight) and gives its run counter a zero per outcome: Prometheus's <c>increase()</c>
/// cannot see a series' first sample, so without the zeros a task's first failure would never alert.
/// </summary>
public sealed partial class CronScheduleRegistrar(
    ISchedulerFactory schedulers,
    CronTaskCatalog catalog,
    NodeIdentity node,
    IServiceScopeFactory scopes,
    HostTelemetry telemetry,
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

        await using (var scope = scopes.CreateAsyncScope())
        {
            foreach (var task in catalog.Tasks.Where(t => t.Enabled))
            {
                _ = scope.ServiceProvider.GetRequiredService(task.Definition.TaskType);
                foreach (var outcome in Enum.GetValues<CronRunOutcome>())
                {
                    telemetry.Runs.Add(0, new TagList { { "task", task.Name }, { "outcome", outcome.ToString().ToLowerInvariant() } });
                }
            }
        }

        foreach (var task in catalog.Tasks)
        {
            if (!task.Enabled)
            {
                LogDisabled(task.Name);
                continue;
            }

            var jobKey = new JobKey(task.Name, CronTaskJob.Group);
            await scheduler.AddJob(
                JobBuilder.Create<CronTaskJob>().WithIdentity(jobKey).StoreDurably().Build(), new AddJobOptions { Replace = true }, cancellationToken);
            await ScheduleAsync(scheduler, task, jobKey, cancellationToken);
            if (task.RunAtStart)
            {
                // This node's own fire: a key of its own, left over only if the node died before it fired.
                var startKey = new TriggerKey($"{task.Name}@{node.Name}", CronTaskJob.StartGroup);
                await scheduler.UnscheduleJob(startKey, cancellationToken);
                await scheduler.ScheduleJob(TriggerBuilder.Create().ForJob(jobKey).WithIdentity(startKey).StartNow().Build(), cancellationToken: cancellationToken);
            }

            var next = task.Schedule.NextAfter(DateTimeOffset.Now);
            LogScheduled(task.Name, task.Schedule.Text, next?.ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture) ?? "never", task.RunAtStart);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Puts the task's schedule trigger in place unless the store already has it as configured. A trigger
    /// built again starts over: a cron trigger would fire again the second that already fired on another
    /// node (each node of a cluster registers at its start), and an interval would restart its count.
    /// </summary>
    private async Task ScheduleAsync(IScheduler scheduler, CronTaskConfiguration task, JobKey jobKey, CancellationToken cancellationToken)
    {
        var key = new TriggerKey(task.Name, CronTaskJob.Group);
        var existing = await scheduler.GetTrigger(key, cancellationToken);
        // A trigger Quartz gave up on (ERROR, COMPLETE) is rebuilt, as every start used to rebuild it.
        if (existing is not null && task.Schedule.Built(existing)
            && await scheduler.GetTriggerState(key, cancellationToken) is TriggerState.Normal or TriggerState.Blocked or TriggerState.Paused)
        {
            return;
        }

        var trigger = task.Schedule.BuildTrigger(jobKey, key);
        if (existing is not null)
        {
            LogRescheduled(task.Name, task.Schedule.Text);
            await scheduler.RescheduleJob(key, trigger, cancellationToken);
            return;
        }

        try
        {
            await scheduler.ScheduleJob(trigger, cancellationToken: cancellationToken);
        }
        catch (ObjectAlreadyExistsException)
        {
            // Another node starting at the same time put it there first.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} scheduled: {Schedule}, next run at {Next} (run at start: {RunAtStart})")]
    private partial void LogScheduled(string task, string schedule, string next, bool runAtStart);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} has a new schedule: {Schedule}")]
    private partial void LogRescheduled(string task, string schedule);

    [LoggerMessage(Level = LogLevel.Information, Message = "No cron tasks: the enabled modules declare none")]
    private partial void LogNoTasks();

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} is disabled")]
    private partial void LogDisabled(string task);
}
