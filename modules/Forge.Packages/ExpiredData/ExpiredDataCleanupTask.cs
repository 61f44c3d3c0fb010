using Forge.Modularity;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.ExpiredData;

/// <summary>The cron task <c>cleanup_packages</c>: runs <see cref="ExpiredDataCleanup"/> with the task's settings.</summary>
public sealed partial class ExpiredDataCleanupTask(ExpiredDataCleanup cleanup, ILogger<ExpiredDataCleanupTask> logger) : ICronTask
{
    public const string Name = "cleanup_packages";

    public static CronTaskDefinition Definition { get; } = CronTaskDefinition.For<ExpiredDataCleanupTask>(Name, "Remove expired uploads, unused uploaded blobs, empty packages and orphaned blobs, and free their disk.") with
    {
        Enabled = true,
        RunAtStart = true,
        Schedule = "@midnight",
        Settings = [CronSetting.Duration("OlderThan", "24h"), CronSetting.Boolean("DryRun", false)],
    };

    /// <summary>The task's settings as options; a chained run waits for a run in progress instead of skipping.</summary>
    public static ExpiredDataCleanupOptions OptionsFrom(CronTaskSettings settings, bool waitForLock = false)
        => new(settings.GetDuration("OlderThan"), settings.GetBoolean("DryRun"), waitForLock);

    public async Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken)
    {
        // A chained run follows a cleanup that just deleted rows: it waits for a scheduled run in
        // progress instead of skipping, so that tonight's deletions are freed tonight.
        var report = await cleanup.RunAsync(OptionsFrom(context.Settings, waitForLock: context.Trigger == CronRunTrigger.Chained), cancellationToken);
        LogReport(report.DryRun, report.Skipped, report.CutoffUnix, report.Summary(), report.BytesFreed, report.DurationSeconds);
        return report.Skipped ? CronTaskResult.Skipped(report.Summary()) : CronTaskResult.Success(report.Summary());
    }

    // One structured event per run; the steps' counts are in its summary (and in the JSON report of the command).
    [LoggerMessage(Level = LogLevel.Information, EventName = "PackagesCleanupReport", Message =
        "Expired-data cleanup: dryRun={DryRun} skipped={Skipped} cutoffUnix={CutoffUnix} summary={Summary} bytesFreed={BytesFreed} durationSeconds={DurationSeconds}")]
    private partial void LogReport(bool dryRun, bool skipped, long cutoffUnix, string summary, long bytesFreed, double durationSeconds);
}
