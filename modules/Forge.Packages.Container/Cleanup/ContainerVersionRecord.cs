namespace Forge.Packages.Container.Cleanup;

/// <summary>A container version as the cleanup reads it.</summary>
/// <param name="Id">package_version.id.</param>
/// <param name="PackageId">The image repository it belongs to.</param>
/// <param name="PackageName">The package's name, for the report.</param>
/// <param name="LowerVersion">A tag, or <c>sha256:&lt;hex&gt;</c> for a digest version.</param>
/// <param name="CreatedUnix">When it was created.</param>
/// <param name="MetadataJson">Its metadata_json, as stored (may be anything).</param>
public sealed record ContainerVersionRecord(
    long Id,
    long PackageId,
    string PackageName,
    string LowerVersion,
    long CreatedUnix,
    string? MetadataJson);

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
