using Forge.Packages.Container.Registry;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// The manifests of a repository that name a digest as their OCI 1.1 <c>subject</c>, for the referrers API: found
/// through the version property <see cref="ContainerLayout.SubjectProperty"/> and its index on lower(value)
/// (<c>IDX_package_property_manifest_subject_value</c>), so that the cost follows the referrers of that digest, not
/// the size of the table. A manifest that several versions have (a tag and its digest version) is one referrer.
/// </summary>
public sealed class ManifestReferrers(NpgsqlDataSource dataSource)
{
    // In digest order, each manifest once. The digest is its blob's hash, the content's own; bytewise order, so that
    // "after" means the same to the database and to the cursor.
    private static readonly string ReferrersAfter = $"""
        SELECT DISTINCT ON (b.hash_sha256 COLLATE "C") b.hash_sha256, coalesce(m.value, ''), b.size
        FROM package_property s
        JOIN package_version v ON v.id = s.ref_id
        JOIN package_file f ON f.version_id = v.id AND f.is_lead
        JOIN package_blob b ON b.id = f.blob_id
        LEFT JOIN package_property m ON m.ref_type = {PropertyRefType.File:D} AND m.ref_id = f.id AND m.name = '{ContainerLayout.MediaTypeProperty}'
        WHERE s.ref_type = {PropertyRefType.Version:D} AND s.name = '{ContainerLayout.SubjectProperty}' AND lower(s.value) = $2
          AND v.package_id = $1 AND NOT v.is_internal
          AND ($3::text IS NULL OR b.hash_sha256 COLLATE "C" > $3::bpchar)
        ORDER BY b.hash_sha256 COLLATE "C", v.id
        LIMIT $4
        """;

    /// <summary>
    /// The referrers of <paramref name="subject"/> (a lower-case digest) in the package, in digest order after
    /// <paramref name="after"/> (a digest, or null from the start), at most <paramref name="limit"/>.
    /// </summary>
    public async Task<List<StoredReferrer>> ListAsync(long packageId, string subject, string? after, int limit, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(dataSource, ReferrersAfter,
            r => new StoredReferrer(RegistryReferences.DigestOf(r.GetString(0)), r.GetString(1), r.GetInt64(2)), cancellationToken,
            packageId, subject, after is null ? null : RegistryReferences.HexOf(after), (long)limit);
}
