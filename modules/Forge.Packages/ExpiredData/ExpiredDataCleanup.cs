using System.Diagnostics;
using Forge.Packages.Content;
using Forge.Packages.Schema;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Packages.ExpiredData;

/// <summary>
/// The expired-data cleanup (the cron task <c>cleanup_packages</c>): one run at a time across the deployment,
/// its steps in order on the connection that holds the run lock. The modules contribute the steps
/// (<see cref="IExpiredDataStep"/>); the Packages module's own remove empty packages and orphaned blobs last,
/// so that what the other steps leave unused is freed in the same run. Each step works in bounded
/// transactions that lock before they re-check, so a run is safe to interrupt and to run again.
/// </summary>
public sealed partial class ExpiredDataCleanup(
    NpgsqlDataSource dataSource,
    IContentStore store,
    ContentStaging staging,
    IEnumerable<IExpiredDataStep> steps,
    ExpiredDataCleanupTelemetry telemetry,
    TimeProvider time,
    ILogger<ExpiredDataCleanup> logger,
    ExpiredDataCleanupHooks? hooks = null)
{
    /// <summary>The advisory lock key of <c>cleanup_packages</c> runs (ASCII "FrgPkCln").</summary>
    public const long RunLockKey = 0x4672_6750_6B43_6C6E;

    private readonly IReadOnlyList<IExpiredDataStep> steps = InOrder(steps);

    public async Task<ExpiredDataCleanupReport> RunAsync(ExpiredDataCleanupOptions options, CancellationToken cancellationToken)
    {
        if (options.OlderThan < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.OlderThan, "OlderThan must not be negative.");
        }

        var stopwatch = Stopwatch.StartNew();
        var dryRunTag = new KeyValuePair<string, object?>("dry_run", options.DryRun);
        using var activity = ExpiredDataCleanupTelemetry.ActivitySource.StartActivity(ExpiredDataCleanupTask.Name);
        var olderThanSeconds = (long)Math.Floor(options.OlderThan.TotalSeconds);
        var cutoff = time.GetUtcNow().ToUnixTimeSeconds() - olderThanSeconds;
        activity?.SetTag("forge.cleanup.dry_run", options.DryRun);
        activity?.SetTag("forge.cleanup.cutoff_unix", cutoff);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            if (!await LockAsync(connection, options.WaitForLock, cancellationToken))
            {
                LogSkipped();
                telemetry.Runs.Add(1, new("outcome", "skipped"), dryRunTag);
                return new ExpiredDataCleanupReport
                {
                    DryRun = options.DryRun,
                    Skipped = true,
                    OlderThanSeconds = olderThanSeconds,
                    CutoffUnix = cutoff,
                    Steps = steps.Select(s => new KeyValuePair<string, ExpiredDataStepReport>(s.ReportKey, s.NothingDone)).ToList(),
                };
            }

            try
            {
                var run = new ExpiredDataRun(connection, cutoff, options.DryRun, store, staging, telemetry, hooks, time, logger, cancellationToken);
                var reports = new List<(IExpiredDataStep Step, ExpiredDataStepReport Report)>();
                foreach (var step in steps)
                {
                    using (run.StepActivity = ExpiredDataCleanupTelemetry.ActivitySource.StartActivity(step.Name))
                    {
                        reports.Add((step, await step.RunAsync(run)));
                    }

                    run.StepActivity = null;

                    run.Ran(step);
                }

                var report = new ExpiredDataCleanupReport
                {
                    DryRun = options.DryRun,
                    OlderThanSeconds = olderThanSeconds,
                    CutoffUnix = cutoff,
                    Steps = reports.Select(r => new KeyValuePair<string, ExpiredDataStepReport>(r.Step.ReportKey, r.Report)).ToList(),
                    BytesFreed = run.BytesFreed,
                    DurationSeconds = stopwatch.Elapsed.TotalSeconds,
                };
                telemetry.Runs.Add(1, new("outcome", "success"), dryRunTag);
                telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "success"), dryRunTag);
                activity?.SetTag("forge.cleanup.bytes_freed", report.BytesFreed);
                return report;
            }
            finally
            {
                await UnlockAsync(connection);
            }
        }
        catch (Exception e)
        {
            telemetry.Runs.Add(1, new("outcome", "failure"), dryRunTag);
            telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "failure"), dryRunTag);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    /// <summary>The steps in their order; two steps with one report key are a composition error, found before anything runs.</summary>
    private static List<IExpiredDataStep> InOrder(IEnumerable<IExpiredDataStep> steps)
    {
        var ordered = steps.OrderBy(s => s.Order).ToList();
        if (ordered.GroupBy(s => s.ReportKey, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"Two expired-data steps report under '{twice.Key}': {string.Join(", ", twice.Select(s => s.GetType().Name))}.");
        }

        return ordered;
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, bool wait, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            return await PackagesSql.ScalarAsync<bool>(connection, null, "SELECT pg_try_advisory_lock($1)", cancellationToken, RunLockKey);
        }

        try
        {
            // A chained run waits for a scheduled one to end, so that what the container cleanup just
            // deleted is freed tonight, not tomorrow.
            await PackagesSql.ExecuteAsync(connection, null, "SET lock_timeout = '1h'", cancellationToken);
            await PackagesSql.ExecuteAsync(connection, null, "SELECT pg_advisory_lock($1)", cancellationToken, RunLockKey);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return false;
        }
        finally
        {
            await PackagesSql.ExecuteAsync(connection, null, "RESET lock_timeout", CancellationToken.None);
        }
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await PackagesSql.ExecuteAsync(connection, null, "SELECT pg_advisory_unlock($1)", CancellationToken.None, RunLockKey);
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and the session lock with it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired-data cleanup skipped: another run is in progress")]
    private partial void LogSkipped();
}
