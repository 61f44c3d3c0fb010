namespace Forge.Packages.Rules;

/// <summary>How a run of the rules is asked for.</summary>
/// <param name="RuleId">Only this rule (0: the default rule); null for every enabled rule and the default rule.</param>
/// <param name="DryRun">Decide and report, remove nothing (no lock is taken: nothing changes).</param>
/// <param name="WaitForLock">Wait for a run in progress to end instead of skipping (a chained run).</param>
/// <param name="ListVersions">List every version looked at with its decision (the counts are always there).</param>
/// <param name="IncludeDisabled">Judge <paramref name="RuleId"/> even when it is disabled (a preview).</param>
/// <param name="OwnerId">Only the rules of this owner (the default rule for this owner alone); null for every owner's.</param>
/// <param name="PageSize">Versions read at a time from a package, newest first (<see cref="CleanupRuleStore.VersionPageSize"/>).</param>
public sealed record PackageRulesCleanupOptions(
    long? RuleId = null, bool DryRun = false, bool WaitForLock = false, bool ListVersions = true, bool IncludeDisabled = false, long? OwnerId = null,
    int PageSize = CleanupRuleStore.VersionPageSize);
