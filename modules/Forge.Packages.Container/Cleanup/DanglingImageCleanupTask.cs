using Forge.Modularity;
using Forge.Packages.ExpiredData;
using Forge.Packages.Rules;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Cleanup;

/// <summary>The cron task <c>cleanup_container_sha256</c>: runs <see cref="DanglingImageCleanup"/> with the task's settings.</summary>
public sealed partial class DanglingImageCleanupTask(DanglingImageCleanup cleanup, ILogger<DanglingImageCleanupTask> logger) : ICronTask
{
    public const string Name = "cleanup_container_sha256";

    public static CronTaskDefinition Definition { get; } = CronTaskDefinition.For<DanglingImageCleanupTask>(Name, "Remove dangling sha256:* container image versions that nothing references.") with
    {
        Enabled = true,
        RunAtStart = true,
        Schedule = "@midnight",
        // The nightly chain: the package rules untag, this removes what they left unreferenced, the expired-data
        // cleanup frees the disk.
        RunsAfter = [PackageRulesCleanupTask.Name],
        Settings =
        [
            CronSetting.Duration("OlderThan", "24h"),
            CronSetting.Integer("BatchSize", 500, 1, 100_000),
            CronSetting.Integer("Workers", DanglingImageCleanupOptions.DefaultWorkers, 1, DanglingImageCleanupOptions.MaxWorkers),
            CronSetting.Boolean("DryRun", false),
            CronSetting.Boolean("RemoveOrphanedReferrerTags", false),
        ],
    };

    /// <summary>The task's settings as options; a scheduled run lists no candidates (its report is logged as counts).</summary>
    public static DanglingImageCleanupOptions OptionsFrom(CronTaskSettings settings, bool waitForLock = false)
        => new(
            settings.GetDuration("OlderThan"), settings.GetInt32("BatchSize"), settings.GetBoolean("DryRun"), ListedCandidates: 0, waitForLock,
            settings.GetBoolean("RemoveOrphanedReferrerTags"))
        {
            Workers = settings.GetInt32("Workers"),
        };

    public async Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken)
    {
        // A run chained after the package rules waits for a scheduled run in progress, so that what they untagged
        // tonight goes tonight.
        var report = await cleanup.RunAsync(OptionsFrom(context.Settings, waitForLock: context.Trigger == CronRunTrigger.Chained), cancellationToken);
        LogReport(
            report.DryRun, report.Skipped, report.OlderThanSeconds, report.CutoffUnix, report.ScannedVersions, report.DigestVersions,
            report.UnreferencedVersions, report.TooYoungVersions, report.SubjectAliveVersions, report.SparedVersions, report.DeletedVersions,
            report.DeletedOrphanedReferrers, report.DeletedOrphanedReferrerTags, report.DeletedFiles, report.DeletedProperties,
            report.MalformedVersionIds.Count, report.DurationSeconds);
        if (report.Skipped)
        {
            return CronTaskResult.Skipped(report.Summary());
        }

        // What was deleted still holds its blobs on disk: the expired-data cleanup follows and frees them.
        return CronTaskResult.Success(report.Summary()) with
        {
            FollowUps = report.DeletedVersions > 0 && !report.DryRun ? [ExpiredDataCleanupTask.Name] : [],
        };
    }

    // One structured event with the whole summary, so that a log pipeline can chart it.
    [LoggerMessage(Level = LogLevel.Information, EventName = "ContainerCleanupReport", Message =
        "Container cleanup: dryRun={DryRun} skipped={Skipped} olderThanSeconds={OlderThanSeconds} cutoffUnix={CutoffUnix} " +
        "scannedVersions={ScannedVersions} digestVersions={DigestVersions} unreferencedVersions={UnreferencedVersions} " +
        "tooYoungVersions={TooYoungVersions} subjectAliveVersions={SubjectAliveVersions} sparedVersions={SparedVersions} " +
        "deletedVersions={DeletedVersions} deletedOrphanedReferrers={DeletedOrphanedReferrers} deletedOrphanedReferrerTags={DeletedOrphanedReferrerTags} " +
        "deletedFiles={DeletedFiles} deletedProperties={DeletedProperties} malformedVersions={MalformedVersions} durationSeconds={DurationSeconds}")]
    private partial void LogReport(
        bool dryRun, bool skipped, long olderThanSeconds, long cutoffUnix, long scannedVersions, long digestVersions,
        long unreferencedVersions, long tooYoungVersions, long subjectAliveVersions, long sparedVersions, long deletedVersions,
        long deletedOrphanedReferrers, long deletedOrphanedReferrerTags, long deletedFiles, long deletedProperties, int malformedVersions,
        double durationSeconds);
}
