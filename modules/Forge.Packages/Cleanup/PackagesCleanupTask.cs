using Forge.Modularity;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Cleanup;

/// <summary>The cron task <c>cleanup_packages</c>: runs <see cref="ExpiredDataCleanup"/> with the task's settings.</summary>
public sealed partial class PackagesCleanupTask(ExpiredDataCleanup cleanup, ILogger<PackagesCleanupTask> logger) : ICronTask
{
    public const string Name = "cleanup_packages";

    public static CronTaskDefinition Definition { get; } = CronTaskDefinition.For<PackagesCleanupTask>(Name, "Remove expired uploads, unused uploaded blobs, empty packages and orphaned blobs, and free their disk.") with
    {
        Enabled = true,
        RunAtStart = true,
        Schedule = "@midnight",
        Settings = [CronSetting.Duration("OlderThan", "24h"), CronSetting.Boolean("DryRun", false)],
    };

    public async Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken)
    {
        // A chained run follows a cleanup that just deleted rows: it waits for a scheduled run in
        // progress instead of skipping, so that tonight's deletions are freed tonight.
        var options = new ExpiredDataOptions(
            context.Settings.GetDuration("OlderThan"), context.Settings.GetBoolean("DryRun"), WaitForLock: context.Trigger == CronRunTrigger.Chained);
        var report = await cleanup.RunAsync(options, cancellationToken);
        LogReport(report.DryRun, report.Skipped, report.CutoffUnix, report.ExpiredUploads.Sessions, report.ExpiredUploadedBlobs.Files,
            report.ExpiredUploadedBlobs.Versions, report.EmptyPackages.Packages, report.OrphanedBlobs.Blobs, report.OrphanedBlobs.ContentFilesFailed,
            report.BytesFreed, report.DurationSeconds);
        return report.Skipped ? CronTaskResult.Skipped(report.Summary()) : CronTaskResult.Success(report.Summary());
    }

    [LoggerMessage(Level = LogLevel.Information, EventName = "PackagesCleanupReport", Message =
        "Expired-data cleanup: dryRun={DryRun} skipped={Skipped} cutoffUnix={CutoffUnix} expiredUploads={ExpiredUploads} " +
        "uploadedFiles={UploadedFiles} uploadVersions={UploadVersions} emptyPackages={EmptyPackages} orphanedBlobs={OrphanedBlobs} " +
        "contentFilesFailed={ContentFilesFailed} bytesFreed={BytesFreed} durationSeconds={DurationSeconds}")]
    private partial void LogReport(bool dryRun, bool skipped, long cutoffUnix, long expiredUploads, long uploadedFiles, long uploadVersions,
        long emptyPackages, long orphanedBlobs, long contentFilesFailed, long bytesFreed, double durationSeconds);
}
