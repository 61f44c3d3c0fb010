namespace Forge.Packages.Container.Cleanup;

/// <summary>How a run is asked for: by the cron task's settings or by the command's options.</summary>
/// <param name="OlderThan">Only versions created longer ago than this may go.</param>
/// <param name="BatchSize">Versions per transaction.</param>
/// <param name="DryRun">Decide and count, delete nothing.</param>
/// <param name="ListedCandidates">How many candidates the report lists (it counts them all): listing every one costs memory in proportion to the registry.</param>
/// <param name="WaitForLock">Wait for a run in progress to end instead of skipping (a run chained after the package rules).</param>
/// <param name="RemoveOrphanedReferrerTags">
/// Judge cosign's referrer tags (<c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c>, <c>.sbom</c>) like referrers, so that they go once
/// their subject is gone and they are older than the window; off, they are roots like any tag.
/// </param>
public sealed record DanglingImageCleanupOptions(
    TimeSpan OlderThan, int BatchSize, bool DryRun, int ListedCandidates = int.MaxValue, bool WaitForLock = false, bool RemoveOrphanedReferrerTags = false)
{
    /// <summary>The default of <see cref="Workers"/>: two, so that on a database of two cores one batch deletes while the other is re-checked.</summary>
    public const int DefaultWorkers = 2;

    /// <summary>The most <see cref="Workers"/> a run may have.</summary>
    public const int MaxWorkers = 16;

    /// <summary>
    /// Batches deleted at once, each on a database connection of its own and on packages of its own (whole chunks of the
    /// inventory), 1 to <see cref="MaxWorkers"/>.
    /// </summary>
    public int Workers { get; init; } = DefaultWorkers;
}
