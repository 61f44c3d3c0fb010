using Forge.Host.Database;
using Forge.Host.Hosting;
using Forge.Modularity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Host.Scheduling;

/// <summary>The latest run of a task and how many runs it has had.</summary>
public sealed record CronTaskHistory(string Task, long Runs, CronRun? Last);

/// <summary>
/// Persists a record per cron run in <c>forge_cron_run</c>. Writing a record waits out a database that
/// refuses connections for a while (a restart, a failover): a run that failed because the database went
/// away must still end as a failure in its record, not stay "in progress" for ever.
/// </summary>
public sealed partial class CronRunLog(IDbContextFactory<HostDbContext> contexts, TimeProvider time, ILogger<CronRunLog> logger)
{
    /// <summary>Waits between attempts to write a record, about half a minute in all: a restart takes seconds.</summary>
    private static readonly TimeSpan[] RetryDelays = [.. new[] { 0.5, 1, 2, 4, 8, 15 }.Select(TimeSpan.FromSeconds)];

    public Task<long> StartAsync(string task, string node, CronRunTrigger trigger, DateTimeOffset? scheduledFor, CancellationToken cancellationToken)
    {
        // PostgreSQL keeps microseconds: the instant is cut to them, so that it can be looked up as stored.
        var now = time.GetUtcNow();
        var startedAt = now.AddTicks(-(now.Ticks % 10));
        var triggerText = trigger.ToString().ToLowerInvariant();
        return WriteAsync(task, async () =>
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            // An attempt whose reply was lost may have committed: its record is found, not written twice.
            var written = await db.CronRuns.AsNoTracking()
                .Where(r => r.Task == task && r.Node == node && r.StartedAt == startedAt && r.Trigger == triggerText)
                .Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);
            if (written is { } id)
            {
                return id;
            }

            var run = new CronRun { Task = task, Node = node, Trigger = triggerText, StartedAt = startedAt, ScheduledFor = scheduledFor };
            db.CronRuns.Add(run);
            await db.SaveChangesAsync(cancellationToken);
            return run.Id;
        }, cancellationToken);
    }

    public Task FinishAsync(long runId, string task, CronRunOutcome outcome, string summary, CancellationToken cancellationToken)
        => WriteAsync(task, async () =>
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var finishedAt = time.GetUtcNow();
            var outcomeText = outcome.ToString().ToLowerInvariant();
            return await db.CronRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(
                s => s.SetProperty(r => r.FinishedAt, finishedAt).SetProperty(r => r.Outcome, outcomeText).SetProperty(r => r.Summary, summary),
                cancellationToken);
        }, cancellationToken);

    private async Task<T> WriteAsync<T>(string task, Func<Task<T>> write, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (Exception e) when (attempt < RetryDelays.Length && IsUnavailable(e))
            {
                LogRetrying(task, RetryDelays[attempt].TotalSeconds, ExceptionMessage.OneLine(e));
                await Task.Delay(RetryDelays[attempt], cancellationToken);
            }
        }
    }

    /// <summary>The database cannot be reached or is going down or coming up; a later attempt may get through.</summary>
    private static bool IsUnavailable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" } or NpgsqlException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the run record of cron task {Task}, trying again in {Seconds}s: {Error}")]
    private partial void LogRetrying(string task, double seconds, string error);

    public async Task<IReadOnlyList<CronTaskHistory>> HistoryAsync(IEnumerable<string> tasks, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = new List<CronTaskHistory>();
        foreach (var task in tasks)
        {
            var runs = await db.CronRuns.AsNoTracking().LongCountAsync(r => r.Task == task, cancellationToken);
            var last = await db.CronRuns.AsNoTracking().Where(r => r.Task == task)
                .OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);
            result.Add(new CronTaskHistory(task, runs, last));
        }

        return result;
    }

    /// <summary>When each task last finished a run with success (on any node), for the tasks that ever did.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastSuccessesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.CronRuns.AsNoTracking()
            .Where(r => r.Outcome == "success" && r.FinishedAt != null)
            .GroupBy(r => r.Task)
            .Select(g => new { Task = g.Key, FinishedAt = g.Max(r => r.FinishedAt!.Value) })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.Task, r => r.FinishedAt, StringComparer.OrdinalIgnoreCase);
    }

    public async Task<IReadOnlyList<CronRun>> RunsAsync(string task, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.CronRuns.AsNoTracking().Where(r => r.Task == task).OrderBy(r => r.Id).ToListAsync(cancellationToken);
    }
}
