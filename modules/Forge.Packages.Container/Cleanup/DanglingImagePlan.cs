namespace Forge.Packages.Container.Cleanup;

/// <summary>The outcome of the inventory: counts, candidates, and the doomed versions in deletion order.</summary>
public sealed class DanglingImagePlan(
    long cutoffUnix,
    int scannedVersions,
    int digestVersions,
    int referencedVersions,
    IReadOnlyList<DanglingImageCandidate> candidates,
    IReadOnlyList<IReadOnlyList<long>> deletionUnits,
    IReadOnlyDictionary<long, IReadOnlyList<long>> doomedEdges,
    IReadOnlyList<long> malformedVersionIds)
{
    public long CutoffUnix { get; } = cutoffUnix;
    public int ScannedVersions { get; } = scannedVersions;
    public int DigestVersions { get; } = digestVersions;

    /// <summary>Digest versions that a tag version reaches.</summary>
    public int ReferencedVersions { get; } = referencedVersions;

    /// <summary>
    /// Every digest version no tag version reaches through references (and every judged referrer tag), in id order,
    /// with its decision.
    /// </summary>
    public IReadOnlyList<DanglingImageCandidate> Candidates { get; } = candidates;

    /// <summary>
    /// The doomed versions, each before what it references and every referrer before its subject. A unit of more than
    /// one version is a cycle (only damaged metadata or properties make one): its members go in one transaction.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<long>> DeletionUnits { get; } = deletionUnits;

    /// <summary>
    /// For each doomed version, the doomed versions it keeps when it stays: those it references, and its referrers.
    /// Sparing a version spares these with it.
    /// </summary>
    public IReadOnlyDictionary<long, IReadOnlyList<long>> DoomedEdges { get; } = doomedEdges;

    public IReadOnlyList<long> MalformedVersionIds { get; } = malformedVersionIds;
}
