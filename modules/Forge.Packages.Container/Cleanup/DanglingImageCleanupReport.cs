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

    /// <summary>Digest versions that no tag version reaches.</summary>
    public long UnreferencedVersions { get; init; }

    /// <summary>Of those, kept because they or a version referencing them are newer than the cutoff.</summary>
    public long TooYoungVersions { get; init; }

    /// <summary>Kept because they gained a referrer before deletion.</summary>
    public long SparedVersions { get; init; }

    public long DeletedVersions { get; init; }
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
            : $"{(DryRun ? "dry run: would delete" : "deleted")} {DeletedVersions} version(s), {DeletedFiles} file(s), " +
              $"{DeletedProperties} propert(ies); scanned {ScannedVersions}, digest {DigestVersions}, unreferenced {UnreferencedVersions}, " +
              $"too young {TooYoungVersions}, spared {SparedVersions}, malformed {MalformedVersionIds.Count}";
}

public sealed record DanglingImageCandidateReport(long VersionId, long PackageId, string PackageName, string Digest, long CreatedUnix, DanglingImageDecision Decision);
