using Forge.Packages.Container.Registry;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// What the registry API reads from the shared schema, and its deletions: repositories (container packages), blobs
/// and manifests of a repository, tags. New content is written by <see cref="ManifestPublisher"/> and
/// <see cref="UploadedBlobs"/>.
/// </summary>
public sealed class RegistryStore(NpgsqlDataSource dataSource)
{
    // How many of the manifests that use a blob a refused blob delete names.
    private const int MaxNamedUsers = 5;

    // The digest property of a file.
    private static readonly string DigestJoin =
        $"JOIN package_property d ON d.ref_type = {PropertyRefType.File:D} AND d.ref_id = f.id AND d.name = '{ContainerLayout.DigestProperty}'";

    // The versions of the package whose manifest (lead file) has one of the digests $2.
    private static readonly string LeadFileIn = $"""
        SELECT 1 FROM package_file f {DigestJoin}
        WHERE f.version_id = v.id AND f.is_lead AND lower(d.value) = ANY($2)
        """;

    // The versions a reference names ($1 the package, $2 the reference): by digest, the version named by it and every
    // version whose manifest has it; by tag, the tag.
    private static readonly string ByDigest = $"""
        v.package_id = $1 AND NOT v.is_internal AND (v.lower_version = $2 OR EXISTS (
            SELECT f.blob_id FROM package_file f {DigestJoin} WHERE f.version_id = v.id AND f.is_lead AND lower(d.value) = $2))
        """;

    private static readonly string ByTag =
        $"v.package_id = $1 AND NOT v.is_internal AND v.lower_version = lower($2) AND v.lower_version NOT LIKE '{ContainerLayout.DigestPrefix}%'";

    private static string VersionsOf(bool byDigest) => byDigest ? ByDigest : ByTag;

    public async Task<long?> FindPackageAsync(long ownerId, string image, CancellationToken cancellationToken)
        => await PackagesSql.ScalarAsync<long?>(dataSource,
            $"SELECT id FROM package WHERE owner_id = $1 AND type = '{ContainerLayout.PackageType}' AND lower_name = lower($2)", cancellationToken, ownerId, image);

    /// <summary>The size of a blob that a version of the package (uploaded, or used by a manifest) has.</summary>
    public async Task<long?> FindBlobAsync(long packageId, string hex, CancellationToken cancellationToken)
        => await PackagesSql.ScalarAsync<long?>(dataSource, """
            SELECT b.size FROM package_blob b
            WHERE b.hash_sha256 = $2::bpchar AND EXISTS (
                SELECT 1 FROM package_file f JOIN package_version v ON v.id = f.version_id WHERE v.package_id = $1 AND f.blob_id = b.id)
            """, cancellationToken, packageId, hex);

    /// <summary>
    /// A manifest of the package by tag, or by digest: the version named by the digest, else any version whose
    /// manifest has it (a manifest pushed only by tag is still pulled by its digest). With it, in the same
    /// statement, the ids of every version the reference names, for the record of pulls.
    /// </summary>
    public async Task<StoredManifest?> FindManifestAsync(long packageId, string reference, bool byDigest, CancellationToken cancellationToken)
    {
        // The window aggregate runs over every matching row before LIMIT keeps the one served.
        var found = await PackagesSql.ListAsync(dataSource, $"""
            SELECT lower(d.value), coalesce(m.value, ''), b.size, array_agg(v.id) OVER ()
            FROM package_version v
            JOIN package_file f ON f.version_id = v.id AND f.is_lead
            JOIN package_blob b ON b.id = f.blob_id
            {DigestJoin}
            LEFT JOIN package_property m ON m.ref_type = {PropertyRefType.File:D} AND m.ref_id = f.id AND m.name = '{ContainerLayout.MediaTypeProperty}'
            WHERE {VersionsOf(byDigest)}
            ORDER BY (v.lower_version = $2) DESC, v.id LIMIT 1
            """, r => new StoredManifest(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetFieldValue<long[]>(3)), cancellationToken,
            packageId, byDigest ? reference : reference.ToLowerInvariant());
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>The package's tags in lexical order, after <paramref name="last"/>, at most <paramref name="limit"/> plus one (to tell whether more follow).</summary>
    public async Task<List<string>> ListTagsAsync(long packageId, string? last, int limit, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(dataSource, $"""
            SELECT version FROM package_version
            WHERE package_id = $1 AND NOT is_internal AND lower_version NOT LIKE '{ContainerLayout.DigestPrefix}%'
              AND ($2::text IS NULL OR version COLLATE "C" > $2::text)
            ORDER BY version COLLATE "C" LIMIT $3
            """, r => r.GetString(0), cancellationToken, packageId, last, (long)limit + 1);

    /// <summary>
    /// Deletes a manifest: by tag, that tag's version; by digest, every version with that manifest (its digest
    /// version and the tags that point at it). Refused (InUse) while another manifest of the repository (an index)
    /// names it: deleting it would break that image. Its blobs stay until the expired-data cleanup finds them
    /// unused. Returns false when there is nothing to delete.
    /// </summary>
    public async Task<bool> DeleteManifestAsync(long packageId, string reference, bool byDigest, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locked first: an index push that holds one of these (FOR KEY SHARE, rule 8) commits before this goes
        // on, and the reference check below sees it; one that comes later finds them gone.
        var versions = await PackagesSql.ListAsync(connection, transaction, $"""
            SELECT v.id, (SELECT lower(d.value) FROM package_file f {DigestJoin} WHERE f.version_id = v.id AND f.is_lead LIMIT 1)
            FROM package_version v WHERE {VersionsOf(byDigest)} ORDER BY v.id FOR UPDATE OF v
            """, r => (Id: r.GetInt64(0), Digest: r.IsDBNull(1) ? null : r.GetString(1)), cancellationToken,
            packageId, byDigest ? reference : reference.ToLowerInvariant());
        if (versions.Count == 0)
        {
            return false;
        }

        var ids = versions.Select(v => v.Id).ToArray();
        var digests = versions.Select(v => v.Digest).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        // By tag, only the tag goes: its manifest may still be named by an index as long as another version keeps it.
        var stillKept = !byDigest && await PackagesSql.ScalarAsync<long>(connection, transaction, $"""
            SELECT count(*) FROM package_version v WHERE v.package_id = $1 AND NOT (v.id = ANY($3)) AND (v.lower_version = ANY($2) OR EXISTS ({LeadFileIn}))
            """, cancellationToken, packageId, digests, ids) > 0;
        if (!stillKept && await PackagesSql.ScalarAsync<string>(connection, transaction, $"""
            SELECT v.version FROM package_version v
            JOIN package_property r ON r.ref_type = {PropertyRefType.Version:D} AND r.ref_id = v.id AND r.name = '{ContainerLayout.ReferenceProperty}'
            WHERE v.package_id = $1 AND NOT (v.id = ANY($3)) AND lower(r.value) = ANY($2) LIMIT 1
            """, cancellationToken, packageId, digests, ids) is { } parent)
        {
            throw RegistryFailureException.InUse($"manifest {string.Join(", ", digests)} is part of image {parent} in this repository; delete that first");
        }

        await PackagesSql.ExecuteAsync(connection, transaction, $"""
            WITH f AS (DELETE FROM package_file WHERE version_id = ANY($1) RETURNING id),
            fp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id IN (SELECT id FROM f) RETURNING 1),
            vp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = ANY($1) RETURNING 1)
            DELETE FROM package_version WHERE id = ANY($1)
            """, cancellationToken, ids);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Deletes an uploaded blob from the repository (its file of the upload version). Refused (BlobInUse) while a
    /// manifest of the repository uses it. Returns false when the repository does not have it.
    /// </summary>
    public async Task<bool> DeleteBlobAsync(long packageId, string hex, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var users = await PackagesSql.ListAsync(connection, transaction, """
            SELECT v.version, v.is_internal, f.id FROM package_file f
            JOIN package_version v ON v.id = f.version_id JOIN package_blob b ON b.id = f.blob_id
            WHERE v.package_id = $1 AND b.hash_sha256 = $2::bpchar ORDER BY f.id FOR UPDATE OF f
            """, r => (Version: r.GetString(0), Internal: r.GetBoolean(1), FileId: r.GetInt64(2)), cancellationToken, packageId, hex);
        if (users.Count == 0)
        {
            return false;
        }

        var manifests = users.Where(u => !u.Internal).Select(u => u.Version).Distinct(StringComparer.Ordinal).ToList();
        if (manifests.Count > 0)
        {
            var named = string.Join(", ", manifests.Take(MaxNamedUsers)) + (manifests.Count > MaxNamedUsers ? $" and {manifests.Count - MaxNamedUsers} more" : "");
            throw RegistryFailureException.BlobInUse(
                $"blob sha256:{hex} is not deleted: manifest(s) of this repository use it ({named}); delete those manifests first");
        }

        await PackagesSql.ExecuteAsync(connection, transaction, $"""
            WITH fp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id = ANY($1) RETURNING 1)
            DELETE FROM package_file WHERE id = ANY($1)
            """, cancellationToken, users.Select(u => u.FileId).ToArray());
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
