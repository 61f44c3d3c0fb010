using Npgsql;
using NpgsqlTypes;

namespace Forge.Packages.Container.Registry;

/// <summary>A manifest as the registry serves it.</summary>
public sealed record StoredManifest(string Digest, string MediaType, long Size);

/// <summary>
/// What the registry API reads from the shared schema, and its deletions: repositories (container packages),
/// blobs and manifests of a repository, tags. Writes of new content go through <see cref="ContainerImageWriter"/>.
/// </summary>
public sealed class RegistryStore(NpgsqlDataSource dataSource)
{
    // A file of a version of the package, with the named property; the lead file of a version is its manifest.
    private const string LeadDigest = """
        SELECT f.blob_id FROM package_file f
        JOIN package_property d ON d.ref_type = 1 AND d.ref_id = f.id AND d.name = 'container.digest'
        WHERE f.version_id = v.id AND f.is_lead AND lower(d.value) = $2
        """;

    // The versions a reference names ($1 the package, $2 the reference): by digest, the version named by it and every
    // version whose manifest has it; by tag, the tag.
    private static string VersionsOf(bool byDigest) => byDigest
        ? $"v.package_id = $1 AND NOT v.is_internal AND (v.lower_version = $2 OR EXISTS ({LeadDigest}))"
        : "v.package_id = $1 AND NOT v.is_internal AND v.lower_version = lower($2) AND v.lower_version NOT LIKE 'sha256:%'";

    public async Task<long?> FindPackageAsync(long ownerId, string image, CancellationToken cancellationToken)
        => await ScalarAsync<long?>(
            "SELECT id FROM package WHERE owner_id = $1 AND type = 'container' AND lower_name = lower($2)", cancellationToken, ownerId, image);

    /// <summary>The size of a blob that a version of the package (uploaded, or used by a manifest) has.</summary>
    public async Task<long?> FindBlobAsync(long packageId, string hex, CancellationToken cancellationToken)
        => await ScalarAsync<long?>("""
            SELECT b.size FROM package_blob b
            WHERE b.hash_sha256 = $2::bpchar AND EXISTS (
                SELECT 1 FROM package_file f JOIN package_version v ON v.id = f.version_id WHERE v.package_id = $1 AND f.blob_id = b.id)
            """, cancellationToken, packageId, hex);

    /// <summary>
    /// A manifest of the package by tag, or by digest: the version named by the digest, else any version whose
    /// manifest has it (a manifest pushed only by tag is still pulled by its digest).
    /// </summary>
    public async Task<StoredManifest?> FindManifestAsync(long packageId, string reference, bool byDigest, CancellationToken cancellationToken)
    {
        var versionFilter = VersionsOf(byDigest);
        await using var command = dataSource.CreateCommand($"""
            SELECT lower(d.value), coalesce(m.value, ''), b.size
            FROM package_version v
            JOIN package_file f ON f.version_id = v.id AND f.is_lead
            JOIN package_blob b ON b.id = f.blob_id
            JOIN package_property d ON d.ref_type = 1 AND d.ref_id = f.id AND d.name = 'container.digest'
            LEFT JOIN package_property m ON m.ref_type = 1 AND m.ref_id = f.id AND m.name = 'container.mediatype'
            WHERE {versionFilter}
            ORDER BY (v.lower_version = $2) DESC, v.id LIMIT 1
            """);
        command.Parameters.AddWithValue(packageId);
        command.Parameters.AddWithValue(byDigest ? reference : reference.ToLowerInvariant());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new StoredManifest(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)) : null;
    }

    /// <summary>The package's tags in lexical order, after <paramref name="last"/>, at most <paramref name="limit"/> plus one (to tell whether more follow).</summary>
    public async Task<List<string>> ListTagsAsync(long packageId, string? last, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT version FROM package_version
            WHERE package_id = $1 AND NOT is_internal AND lower_version NOT LIKE 'sha256:%' AND ($2::text IS NULL OR version COLLATE "C" > $2::text)
            ORDER BY version COLLATE "C" LIMIT $3
            """);
        command.Parameters.AddWithValue(packageId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)last ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.AddWithValue((long)limit + 1);
        var tags = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tags.Add(reader.GetString(0));
        }

        return tags;
    }

    /// <summary>
    /// Deletes a manifest: by tag, that tag's version; by digest, every version with that manifest (its digest
    /// version and the tags that point at it). Refused (409) while another manifest of the repository (an index)
    /// names it: deleting it would break that image. Its blobs stay until the expired-data cleanup finds them
    /// unused. Returns false when there is nothing to delete.
    /// </summary>
    public async Task<bool> DeleteManifestAsync(long packageId, string reference, bool byDigest, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var versionFilter = VersionsOf(byDigest);
        // Locked first: an index push that holds one of these (FOR KEY SHARE, rule 8) commits before this goes
        // on, and the reference check below sees it; one that comes later finds them gone.
        var ids = new List<long>();
        var digests = new HashSet<string>(StringComparer.Ordinal);
        await using (var select = new NpgsqlCommand($"""
            SELECT v.id, (SELECT lower(d.value) FROM package_file f JOIN package_property d ON d.ref_type = 1 AND d.ref_id = f.id AND d.name = 'container.digest'
                          WHERE f.version_id = v.id AND f.is_lead LIMIT 1)
            FROM package_version v WHERE {versionFilter} ORDER BY v.id FOR UPDATE OF v
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(packageId);
            select.Parameters.AddWithValue(byDigest ? reference : reference.ToLowerInvariant());
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
                if (!reader.IsDBNull(1))
                {
                    digests.Add(reader.GetString(1));
                }
            }
        }

        if (ids.Count == 0)
        {
            return false;
        }

        // By tag, only the tag goes: its manifest may still be named by an index as long as another version keeps it.
        var stillKept = !byDigest && await ScalarAsync<long?>(connection, """
            SELECT count(*) FROM package_version v WHERE v.package_id = $1 AND NOT (v.id = ANY($3)) AND (v.lower_version = ANY($2) OR EXISTS (
                SELECT 1 FROM package_file f JOIN package_property d ON d.ref_type = 1 AND d.ref_id = f.id AND d.name = 'container.digest'
                WHERE f.version_id = v.id AND f.is_lead AND lower(d.value) = ANY($2)))
            """, cancellationToken, packageId, digests.ToArray(), ids.ToArray()) > 0;
        if (!stillKept && await ScalarAsync<string?>(connection, """
            SELECT v.version FROM package_version v JOIN package_property r ON r.ref_type = 0 AND r.ref_id = v.id AND r.name = 'container.manifest.reference'
            WHERE v.package_id = $1 AND NOT (v.id = ANY($3)) AND lower(r.value) = ANY($2) LIMIT 1
            """, cancellationToken, packageId, digests.ToArray(), ids.ToArray()) is { } parent)
        {
            throw RegistryException.Conflict($"manifest {string.Join(", ", digests)} is part of image {parent} in this repository; delete that first");
        }

        await ScalarAsync<object>(connection, """
            WITH f AS (DELETE FROM package_file WHERE version_id = ANY($1) RETURNING id),
            fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id IN (SELECT id FROM f) RETURNING 1),
            vp AS (DELETE FROM package_property WHERE ref_type = 0 AND ref_id = ANY($1) RETURNING 1)
            DELETE FROM package_version WHERE id = ANY($1)
            """, cancellationToken, ids.ToArray());
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Deletes an uploaded blob from the repository (its file of the <c>_upload</c> version). Refused (409) while a
    /// manifest of the repository uses it. Returns false when the repository does not have it.
    /// </summary>
    public async Task<bool> DeleteBlobAsync(long packageId, string hex, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var users = new List<(string Version, bool Internal, long FileId)>();
        await using (var select = new NpgsqlCommand("""
            SELECT v.version, v.is_internal, f.id FROM package_file f
            JOIN package_version v ON v.id = f.version_id JOIN package_blob b ON b.id = f.blob_id
            WHERE v.package_id = $1 AND b.hash_sha256 = $2::bpchar ORDER BY f.id FOR UPDATE OF f
            """, connection, transaction))
        {
            select.Parameters.AddWithValue(packageId);
            select.Parameters.AddWithValue(hex);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                users.Add((reader.GetString(0), reader.GetBoolean(1), reader.GetInt64(2)));
            }
        }

        if (users.Count == 0)
        {
            return false;
        }

        if (users.FirstOrDefault(u => !u.Internal) is { Version: not null } user)
        {
            throw RegistryException.Conflict($"blob sha256:{hex} is used by manifest {user.Version} of this repository; delete the manifest first");
        }

        var files = users.Select(u => u.FileId).ToArray();
        await ScalarAsync<object>(connection, """
            WITH fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id = ANY($1) RETURNING 1)
            DELETE FROM package_file WHERE id = ANY($1)
            """, cancellationToken, files);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private async Task<T?> ScalarAsync<T>(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ScalarAsync<T>(connection, sql, cancellationToken, parameters);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? default : (T)value;
    }
}
