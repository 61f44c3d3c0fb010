using Forge.Host.Database;
using Forge.Modularity;
using Microsoft.EntityFrameworkCore;

namespace Forge.Host.Scheduling;

/// <summary>The latest run of a task and how many runs it has had.</summary>
public sealed record CronTaskHistory(string Task, long Runs, CronRun? Last);

/// <summary>Persists a record per cron run in <c>forge_cron_run</c>.</summary>
public sealed class CronRunLog(IDbContextFactory<HostDbContext> contexts, TimeProvider time)
{
    public async Task<long> StartAsync(string task, string node, CronRunTrigger trigger, DateTimeOffset? scheduledFor, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = new CronRun
        {
            Task = task,
            Node = node,
            Trigger = trigger.ToString().ToLowerInvariant(),
            StartedAt = time.GetUtcNow(),
            ScheduledFor = scheduledFor,
        };
        db.CronRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        return run.Id;
    }

    public async Task FinishAsync(long runId, CronRunOutcome outcome, string summary, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var finishedAt = time.GetUtcNow();
        var outcomeText = outcome.ToString().ToLowerInvariant();
        await db.CronRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(
            s => s.SetProperty(r => r.FinishedAt, finishedAt).SetProperty(r => r.Outcome, outcomeText).SetProperty(r => r.Summary, summary),
            cancellationToken);
    }

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

    public async Task<IReadOnlyList<CronRun>> RunsAsync(string task, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.CronRuns.AsNoTracking().Where(r => r.Task == task).OrderBy(r => r.Id).ToListAsync(cancellationToken);
    }
}
