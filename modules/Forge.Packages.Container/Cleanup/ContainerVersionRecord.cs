namespace Forge.Packages.Container.Cleanup;

/// <summary>A container version as the cleanup reads it.</summary>
/// <param name="Id">package_version.id.</param>
/// <param name="PackageId">The image repository it belongs to.</param>
/// <param name="PackageName">The package's name, for the report.</param>
/// <param name="LowerVersion">A tag, or <c>sha256:&lt;hex&gt;</c> for a digest version.</param>
/// <param name="CreatedUnix">When it was created.</param>
/// <param name="MetadataJson">Its metadata_json, as stored (may be anything); null also when the store left out text that cannot name a digest.</param>
/// <param name="Revision">Changes whenever the row does (PostgreSQL's <c>xmin</c>): the re-check reads again only what changed.</param>
public sealed record ContainerVersionRecord(
    long Id,
    long PackageId,
    string PackageName,
    string LowerVersion,
    long CreatedUnix,
    string? MetadataJson,
    uint Revision = 0);

/// <summary>
/// Whole packages of the inventory. To keep the inventory cheap, the store may leave out metadata_json
/// that cannot name a digest: text with no <c>256:</c> (in any letter case a digest contains it) and no
/// <c>\u</c> escape (the only JSON escape that can spell one), that begins with <c>{</c> and ends with
/// <c>}</c> and does not mention <c>manifests</c>. PostgreSQL marks such rows on every write
/// (package_version.may_name_digest false). Such text holds no reference, so leaving it out changes no
/// decision; only damage in it goes unreported.
/// </summary>
public sealed record InventoryChunk(IReadOnlyList<ContainerVersionRecord> Versions, IReadOnlyList<ReferenceProperty> ReferenceProperties);

/// <summary>A <c>container.manifest.reference</c> version property: <paramref name="VersionId"/> references <paramref name="Digest"/>.</summary>
public readonly record struct ReferenceProperty(long VersionId, string Digest);

/// <summary>A candidate as its batch found and locked it.</summary>
public readonly record struct LockedVersion(long Id, string LowerVersion, long CreatedUnix);

/// <summary>Rows removed (or, in a dry run, that would be) by deleting versions.</summary>
public readonly record struct DeletionCounts(long Versions, long Files, long Properties)
{
    public static DeletionCounts operator +(DeletionCounts a, DeletionCounts b)
        => new(a.Versions + b.Versions, a.Files + b.Files, a.Properties + b.Properties);
}
