namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// A version the cleanup judged: a digest version that no tag version reaches through references, or a referrer tag
/// (with <c>RemoveOrphanedReferrerTags</c>). <see cref="Digest"/> is the version's name in lower case: its digest, or
/// the tag for a referrer tag.
/// </summary>
public sealed record DanglingImageCandidate(long VersionId, long PackageId, string PackageName, string Digest, long CreatedUnix)
{
    public DanglingImageDecision Decision { get; set; }

    public DanglingImageCandidateKind Kind { get; init; }

    /// <summary>The digests (lower case) it names as its subject: its subject properties, or what a referrer tag's name stands for.</summary>
    public IReadOnlyList<string> Subjects { get; init; } = [];
}
