using Forge.Modularity;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Rules;

/// <summary>
/// The cron task <c>cleanup_package_rules</c>: runs <see cref="PackageRulesCleanup"/>. It heads the nightly chain: the
/// dangling image cleanup runs after it (it declares so), and the expired-data cleanup after that, so a tag a rule
/// removes tonight has its bytes back on disk tonight.
/// </summary>
public sealed partial class PackageRulesCleanupTask(PackageRulesCleanup cleanup, ILogger<PackageRulesCleanupTask> logger) : ICronTask
{
    public const string Name = "cleanup_package_rules";

    public static CronTaskDefinition Definition { get; } = CronTaskDefinition.For<PackageRulesCleanupTask>(
        Name, "Apply the owners' retention rules (and the default rule): remove the package versions they no longer keep.") with
    {
        Enabled = true,
        RunAtStart = false,
        Schedule = "@midnight",
        Settings = [CronSetting.Boolean("DryRun", false)],
    };

    public async Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken)
    {
        var options = new PackageRulesCleanupOptions(
            DryRun: context.Settings.GetBoolean("DryRun"), WaitForLock: context.Trigger == CronRunTrigger.Chained, ListVersions: false);
        var report = await cleanup.RunAsync(options, cancellationToken);
        LogReport(report.DryRun, report.Skipped, report.Rules.Count, report.VersionsLookedAt, report.VersionsRemoved, report.RulesFailed, report.DurationSeconds);
        return report switch
        {
            { Skipped: true } => CronTaskResult.Skipped(report.Summary()),
            // Loudly: the run record says which rule failed, though the others ran.
            { RulesFailed: > 0 } => CronTaskResult.Failure(report.Summary()),
            _ => CronTaskResult.Success(report.Summary()),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, EventName = "PackageRulesReport", Message =
        "Package rules: dryRun={DryRun} skipped={Skipped} rules={Rules} versionsLookedAt={VersionsLookedAt} versionsRemoved={VersionsRemoved} " +
        "rulesFailed={RulesFailed} durationSeconds={DurationSeconds}")]
    private partial void LogReport(bool dryRun, bool skipped, int rules, long versionsLookedAt, long versionsRemoved, int rulesFailed, double durationSeconds);
}
