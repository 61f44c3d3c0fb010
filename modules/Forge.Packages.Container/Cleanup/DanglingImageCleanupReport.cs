using System.Text.Json;
using System.Text.Json.Serialization;

namespace Forge.Packages.Container.Cleanup;

/// <summary>What one run of the dangling image cleanup saw and did; in a dry run, what it would do.</summary>
public sealed record DanglingImageCleanupReport
{
    public bool DryRun { get; init; }

    /// <summary>True when another run held the lock and this one did nothing.</summary>
    public bool Skipped { get; init; }

    public long OlderThanSeconds { get; init; }
    public long CutoffUnix { get; init; }

    /// <summary>Container versions read.</summary>
    public long ScannedVersions { get; init; }

    public long DigestVersions { get; init; }

    /// <summary>Digest versions that no tag version reaches through references, and referrer tags judged as referrers.</summary>
    public long UnreferencedVersions { get; init; }

    /// <summary>Of those, kept because they or a version referencing them are newer than the cutoff.</summary>
    public long TooYoungVersions { get; init; }

    /// <summary>Of those, kept because they are referrers of a version that is kept (or hang from one).</summary>
    public long SubjectAliveVersions { get; init; }

    /// <summary>Kept because they gained a referrer, or their subject, before deletion.</summary>
    public long SparedVersions { get; init; }

    public long DeletedVersions { get; init; }

    /// <summary>Of the deleted versions, the digest versions that named a subject which is gone or went with them.</summary>
    public long DeletedOrphanedReferrers { get; init; }

    /// <summary>Of the deleted versions, the cosign referrer tags (with <c>RemoveOrphanedReferrerTags</c>).</summary>
    public long DeletedOrphanedReferrerTags { get; init; }
    public long DeletedFiles { get; init; }
    public long DeletedProperties { get; init; }
    public int Batches { get; init; }
    public double DurationSeconds { get; init; }
    public IReadOnlyList<long> MalformedVersionIds { get; init; } = [];
    public IReadOnlyList<DanglingImageCandidateReport> Candidates { get; init; } = [];

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>One line for logs and <c>cron list</c>.</summary>
    public string Summary()
        => Skipped
            ? "skipped: another run of the cleanup is in progress"
            : $"{(DryRun ? "dry run: would delete" : "deleted")} {DeletedVersions} version(s) (orphaned referrers {DeletedOrphanedReferrers}, " +
              $"referrer tags {DeletedOrphanedReferrerTags}), {DeletedFiles} file(s), {DeletedProperties} propert(ies); scanned {ScannedVersions}, " +
              $"digest {DigestVersions}, unreferenced {UnreferencedVersions}, too young {TooYoungVersions}, subject alive {SubjectAliveVersions}, " +
              $"spared {SparedVersions}, malformed {MalformedVersionIds.Count}";
}

/// <summary>A candidate in the report: <see cref="Digest"/> is the version's name (a referrer tag's is its tag).</summary>
public sealed record DanglingImageCandidateReport(long VersionId, long PackageId, string PackageName, string Digest, long CreatedUnix, DanglingImageDecision Decision)
{
    public DanglingImageCandidateKind Kind { get; init; }

    /// <summary>The digest it names as its subject, for a referrer or a referrer tag; null otherwise.</summary>
    public string? Subject { get; init; }
}
