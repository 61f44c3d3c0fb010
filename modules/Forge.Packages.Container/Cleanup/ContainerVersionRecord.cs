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
