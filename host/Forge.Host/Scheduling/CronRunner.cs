using System.Diagnostics;
using Forge.Host.Hosting;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Forge.Host.Scheduling;

/// <summary>A finished run: what the task reported and the record's id.</summary>
public sealed record CronRunReport(long RunId, string Task, CronRunOutcome Outcome, string Summary, TimeSpan Duration);

/// <summary>
/// Runs one cron task the same way for the scheduler and for <c>cron run</c>: records the run, calls the
/// task in its own DI scope, turns an exception into a failure, and counts and logs the outcome.
/// </summary>
public sealed partial class CronRunner(
    IServiceScopeFactory scopes,
    CronTaskCatalog catalog,
    CronRunLog runLog,
    HostTelemetry telemetry,
    CronLastSuccess lastSuccess,
    TimeProvider time,
    NodeIdentity node,
    ILogger<CronRunner> logger)
{
    /// <summary>Runs <paramref name="taskName"/> once; <paramref name="scheduledFor"/> is the fire time a scheduled run was planned for (kept with the record, so that a cluster's records show each fire once).</summary>
    public async Task<CronRunReport> RunAsync(string taskName, CronRunTrigger trigger, CancellationToken cancellationToken, DateTimeOffset? scheduledFor = null)
    {
        var task = catalog.Find(taskName)
            ?? throw new ForgeConfigurationException(
                $"There is no cron task named '{taskName}' (tasks: {string.Join(", ", catalog.Tasks.Select(t => t.Name))}).");

        using var activity = HostTelemetry.ActivitySource.StartActivity($"cron {task.Name}");
        activity?.SetTag("forge.cron.task", task.Name);
        activity?.SetTag("forge.cron.trigger", trigger.ToString().ToLowerInvariant());
        long runId;
        try
        {
            runId = await runLog.StartAsync(task.Name, node.Name, trigger, scheduledFor, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // No record, no run: the database that the task would work on did not answer in time either.
            LogNotRecorded(e, task.Name);
            var summary = $"not run: its run could not be recorded: {Describe(e)}";
            Count(task.Name, CronRunOutcome.Failure, TimeSpan.Zero, activity, e);
            return new CronRunReport(0, task.Name, CronRunOutcome.Failure, summary, TimeSpan.Zero);
        }

        LogStarted(task.Name, trigger, runId);
        var stopwatch = Stopwatch.StartNew();
        CronTaskResult result;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var work = (ICronTask)scope.ServiceProvider.GetRequiredService(task.Definition.TaskType);
            result = await work.RunAsync(new CronTaskContext(task.Name, task.Settings, trigger, runId), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(e, task.Name, runId);
            result = CronTaskResult.Failure(Describe(e));
            activity?.AddException(e);
        }
        catch (OperationCanceledException)
        {
            result = CronTaskResult.Failure("cancelled: the host is stopping");
        }

        var elapsed = stopwatch.Elapsed;
        Count(task.Name, result.Outcome, elapsed, activity, null);
        try
        {
            await runLog.FinishAsync(runId, task.Name, result.Outcome, result.Summary, CancellationToken.None);
            // After the record: the gauge never shows a success the run records do not have.
            if (result.Outcome == CronRunOutcome.Success)
            {
                lastSuccess.Record(task.Name, time.GetUtcNow());
            }
        }
        catch (Exception e)
        {
            LogRecordFailed(e, task.Name, runId);
        }

        LogFinished(task.Name, runId, result.Outcome.ToString().ToLowerInvariant(), elapsed.TotalSeconds, result.Summary);
        // What the run asked for, then the tasks that declared they run after this one (after a success only).
        var chained = result.Outcome == CronRunOutcome.Success
            ? catalog.Tasks.Where(t => t.Definition.RunsAfter.Contains(task.Name, StringComparer.OrdinalIgnoreCase)).Select(t => t.Name)
            : [];
        foreach (var followUp in result.FollowUps.Concat(chained).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (catalog.Find(followUp) is { Enabled: true } next)
            {
                await RunAsync(next.Name, CronRunTrigger.Chained, cancellationToken);
            }
            else
            {
                LogFollowUpDisabled(task.Name, followUp);
            }
        }

        return new CronRunReport(runId, task.Name, result.Outcome, result.Summary, elapsed);
    }

    private void Count(string task, CronRunOutcome result, TimeSpan elapsed, Activity? activity, Exception? error)
    {
        var outcome = result.ToString().ToLowerInvariant();
        if (error is not null)
        {
            activity?.AddException(error);
        }

        activity?.SetTag("forge.cron.outcome", outcome);
        activity?.SetStatus(result == CronRunOutcome.Failure ? ActivityStatusCode.Error : ActivityStatusCode.Ok);
        var tags = new TagList { { "task", task }, { "outcome", outcome } };
        telemetry.Runs.Add(1, tags);
        telemetry.Duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>The exception's type and message chain: never the connection string (Npgsql does not put it there).</summary>
    private static string Describe(Exception e) => $"{e.GetType().Name}: {ExceptionMessage.OneLine(e)}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} started ({Trigger}, run {RunId})")]
    private partial void LogStarted(string task, CronRunTrigger trigger, long runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cron task {Task} failed (run {RunId})")]
    private partial void LogFailed(Exception e, string task, long runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cron task {Task} failed: its run could not be recorded, so it did not run")]
    private partial void LogNotRecorded(Exception e, string task);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the end of cron task {Task} (run {RunId})")]
    private partial void LogRecordFailed(Exception e, string task, long runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} asked for {FollowUp} to follow, which is not enabled")]
    private partial void LogFollowUpDisabled(string task, string followUp);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} finished (run {RunId}): {Outcome} in {Seconds:0.###}s: {Summary}")]
    private partial void LogFinished(string task, long runId, string outcome, double seconds, string summary);
}
