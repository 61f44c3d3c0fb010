using Forge.Packages.Container.Cleanup;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>
/// The container versions, reference and subject properties and tag manifests the cleanup would read, built
/// scenario by scenario, around a fixed instant and a one-day age limit.
/// </summary>
internal sealed class ContainerInventory
{
    public const long Now = 1_767_225_600;
    public const long Cutoff = Now - 86_400;

    /// <summary>Older than the cutoff: may be deleted.</summary>
    public const long Old = Cutoff - 3_600;

    /// <summary>Newer than the cutoff: a root.</summary>
    public const long Young = Cutoff + 3_600;

    public static readonly TimeSpan OlderThan = TimeSpan.FromDays(1);

    private readonly List<ContainerVersionRecord> versions = [];
    private readonly List<ReferenceProperty> properties = [];
    private readonly List<SubjectProperty> subjects = [];
    private readonly List<TagManifest> tagManifests = [];
    private long nextVersionId = 1;

    public IReadOnlyList<ContainerVersionRecord> Versions => versions;
    public IReadOnlyList<ReferenceProperty> Properties => properties;
    public IReadOnlyList<SubjectProperty> Subjects => subjects;
    public IReadOnlyList<TagManifest> TagManifests => tagManifests;

    public ImageRepository Image(long packageId, string name = "owner/image") => new(this, packageId, name);

    public ContainerVersionRecord Version(long id) => versions.Single(v => v.Id == id);

    public long Add(long packageId, string packageName, string lowerVersion, long createdUnix, string? metadataJson)
    {
        var id = nextVersionId++;
        versions.Add(new ContainerVersionRecord(id, packageId, packageName, lowerVersion, createdUnix, metadataJson));
        return id;
    }

    /// <summary>A <c>container.manifest.reference</c> version property.</summary>
    public void AddReferenceProperty(long versionId, string digest) => properties.Add(new ReferenceProperty(versionId, digest));

    /// <summary>A <c>container.manifest.subject</c> version property.</summary>
    public void AddSubjectProperty(long versionId, string digest) => subjects.Add(new SubjectProperty(versionId, digest));

    /// <summary>The digest of a tag version's manifest.json.</summary>
    public void AddTagManifest(long versionId, string digest) => tagManifests.Add(new TagManifest(versionId, digest));

    /// <summary>What the store would read: one chunk per package, in package order.</summary>
    public IReadOnlyList<InventoryChunk> Chunks()
        => versions.GroupBy(v => v.PackageId)
            .OrderBy(g => g.Key)
            .Select(g => Chunk(g.OrderBy(v => v.Id).ToList()))
            .ToList();

    /// <summary>What the planner decides over everything added so far.</summary>
    public DanglingImagePlan Plan(long cutoffUnix = Cutoff, bool removeOrphanedReferrerTags = false)
    {
        var planner = new DanglingImagePlanner(cutoffUnix, removeOrphanedReferrerTags);
        planner.AddChunk(Chunk(versions));
        return planner.Plan();
    }

    private InventoryChunk Chunk(List<ContainerVersionRecord> chunkVersions)
    {
        var ids = chunkVersions.Select(v => v.Id).ToHashSet();
        return new InventoryChunk(
            chunkVersions,
            [.. properties.Where(p => ids.Contains(p.VersionId))],
            [.. subjects.Where(p => ids.Contains(p.VersionId))],
            [.. tagManifests.Where(m => ids.Contains(m.VersionId))]);
    }
}

/// <summary>One container package (image repository) of a <see cref="ContainerInventory"/>.</summary>
internal sealed class ImageRepository(ContainerInventory inventory, long packageId, string name)
{
    public long PackageId => packageId;

    /// <summary>A tag version: an image index listing <paramref name="digests"/>, or a plain image when none.</summary>
    public long Tag(string tag, long createdUnix, params string[] digests)
        => inventory.Add(packageId, name, tag, createdUnix, digests.Length == 0 ? Metadata.Image() : Metadata.Index(digests));

    /// <summary>A platform manifest pushed by digest.</summary>
    public long Manifest(string digest, long createdUnix) => inventory.Add(packageId, name, digest, createdUnix, Metadata.Image());

    /// <summary>An image index pushed by digest, listing <paramref name="digests"/>.</summary>
    public long Index(string digest, long createdUnix, params string[] digests)
        => inventory.Add(packageId, name, digest, createdUnix, Metadata.Index(digests));

    /// <summary>A tag of a plain image whose manifest has <paramref name="manifestDigest"/>.</summary>
    public long TaggedImage(string tag, string manifestDigest, long createdUnix)
    {
        var id = Tag(tag, createdUnix);
        inventory.AddTagManifest(id, manifestDigest);
        return id;
    }

    /// <summary>A referrer (a signature, an SBOM) pushed by digest, naming <paramref name="subject"/> as its subject.</summary>
    public long Referrer(string digest, long createdUnix, string subject)
    {
        var id = Manifest(digest, createdUnix);
        inventory.AddSubjectProperty(id, subject);
        return id;
    }

    /// <summary>Any version, with metadata_json exactly as given.</summary>
    public long Version(string lowerVersion, long createdUnix, string? metadataJson)
        => inventory.Add(packageId, name, lowerVersion, createdUnix, metadataJson);
}

internal static class DanglingImagePlanExtensions
{
    public static DanglingImageDecision? DecisionFor(this DanglingImagePlan plan, long versionId)
        => plan.Candidates.SingleOrDefault(c => c.VersionId == versionId)?.Decision;

    public static IReadOnlyList<long> Doomed(this DanglingImagePlan plan) => plan.DeletionUnits.SelectMany(u => u).ToList();

    /// <summary>Where a version stands in the deletion order (the index of its unit).</summary>
    public static int UnitOf(this DanglingImagePlan plan, long versionId)
        => plan.DeletionUnits.Select((unit, index) => (unit, index)).Single(u => u.unit.Contains(versionId)).index;

    /// <summary>The batches a run deletes the plan in: the queue the cleanup itself takes its batches from, emptied.</summary>
    public static IEnumerable<List<long>> Batches(this DanglingImagePlan plan, int batchSize)
    {
        var queue = new DanglingImageBatches(plan.CutoffUnix);
        queue.Add(plan, []);
        while (queue.Count > 0)
        {
            var (ids, packages) = queue.Take(batchSize);
            queue.Done(packages);
            yield return ids;
        }
    }
}
