using Forge.Packages.Container.Registry;
using Forge.Packages.Content;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// The rows every container write makes, inside the caller's transaction: the repository's package, a blob and
/// its content, a version's files and properties, and the files of the internal upload version. Each row it
/// finds rather than makes it holds (<c>FOR KEY SHARE</c>) until the caller commits, so that the expired-data
/// cleanup cannot delete it as unused in between.
/// </summary>
internal static class ContainerRows
{
    public static async Task<long> EnsurePackageAsync(NpgsqlConnection connection, long ownerId, string repository, CancellationToken cancellationToken)
    {
        var image = repository.Contains('/', StringComparison.Ordinal) ? repository[(repository.IndexOf('/', StringComparison.Ordinal) + 1)..] : repository;
        // The package row is held (FOR KEY SHARE, which pushes share with each other) until this push
        // commits, so that the expired-data cleanup cannot delete it as empty before this version is in.
        for (var attempt = 1; ; attempt++)
        {
            if (await PackagesSql.ScalarAsync<long?>(connection, null, $"""
                INSERT INTO package (owner_id, type, name, lower_name) VALUES ($1, '{ContainerLayout.PackageType}', $2, lower($2))
                ON CONFLICT (owner_id, type, lower_name) DO NOTHING RETURNING id
                """, cancellationToken, ownerId, image) is long created)
            {
                await AddPropertyAsync(connection, PropertyRefType.Package, created, ContainerLayout.RepositoryProperty, repository.ToLowerInvariant(), cancellationToken);
                return created;
            }

            if (await PackagesSql.ScalarAsync<long?>(connection, null,
                $"SELECT id FROM package WHERE owner_id = $1 AND type = '{ContainerLayout.PackageType}' AND lower_name = lower($2) FOR KEY SHARE",
                cancellationToken, ownerId, image) is long existing)
            {
                return existing;
            }

            // Deleted as empty between the two statements: insert it again.
            if (attempt == 3)
            {
                throw new InvalidOperationException($"The package {repository} kept disappearing while this push created it.");
            }
        }
    }

    /// <summary>
    /// Puts staged content in place and makes (or holds) its package_blob row. <paramref name="restage"/> writes
    /// the content again when its staged file was swept meanwhile; without it, that is an error.
    /// </summary>
    public static async Task<long> EnsureBlobAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IContentStore store, StagedContent staged, BlobHashes hashes,
        Func<Task<StagedContent>>? restage, long created, CancellationToken cancellationToken)
    {
        // Under the blob's shared content lock (hashes in ordinal order), the file is put in place and
        // the row made or held (FOR KEY SHARE) until this push commits: the expired-data cleanup, which
        // removes content under the exclusive lock and skips held rows, never takes content a row is
        // about to name, and pushes of the same layer do not wait for each other.
        await BlobContentLock.AcquireSharedAsync(connection, transaction, staged.Sha256, cancellationToken);
        if (!File.Exists(staged.TemporaryPath))
        {
            // Swept from tmp/ while this push waited: write it again; a row must never name absent content.
            staged = restage is null
                ? throw new IOException($"The content of sha256:{staged.Sha256} disappeared before it was stored.")
                : await restage();
        }

        await store.PublishAsync(staged, cancellationToken);

        for (var attempt = 1; ; attempt++)
        {
            // No conflict target: each of the four hashes has a unique index, and two pushes of the same content that
            // insert at the same instant may collide on any of them (the md5 index comes first), not only on sha256's.
            if (await PackagesSql.ScalarAsync<long?>(connection, null, """
                INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id
                """, cancellationToken, hashes.Size, hashes.Md5, hashes.Sha1, hashes.Sha256, hashes.Sha512, created) is long inserted)
            {
                return inserted;
            }

            if (await PackagesSql.ScalarAsync<long?>(connection, null,
                "SELECT id FROM package_blob WHERE hash_sha256 = $1::bpchar FOR KEY SHARE", cancellationToken, hashes.Sha256) is long existing)
            {
                return existing;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"The blob sha256:{hashes.Sha256} kept disappearing while this push used it.");
            }
        }
    }

    /// <summary>A blob that a version of the package has (uploaded, mounted or used by a manifest), held until the caller commits.</summary>
    public static async Task<long?> LockBlobOfPackageAsync(NpgsqlConnection connection, long packageId, string hex, CancellationToken cancellationToken)
        => await PackagesSql.ScalarAsync<long?>(connection, null, """
            SELECT b.id FROM package_blob b
            WHERE b.hash_sha256 = $2::bpchar AND EXISTS (
                SELECT 1 FROM package_file f JOIN package_version v ON v.id = f.version_id WHERE v.package_id = $1 AND f.blob_id = b.id)
            FOR KEY SHARE OF b
            """, cancellationToken, packageId, hex);

    /// <summary>A file of a version, with its digest and media type properties.</summary>
    public static async Task AddFileAsync(
        NpgsqlConnection connection, long versionId, long blobId, string name, bool isLead, string digest, string mediaType, long created,
        CancellationToken cancellationToken)
    {
        var fileId = (await PackagesSql.ScalarAsync<long?>(connection, null, """
            INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, is_lead, created_unix)
            VALUES ($1, $2, $3, lower($3), '', $4, $5)
            ON CONFLICT (version_id, lower_name, composite_key) DO UPDATE SET blob_id = excluded.blob_id RETURNING id
            """, cancellationToken, versionId, blobId, name, isLead, created))!.Value;
        await AddPropertyAsync(connection, PropertyRefType.File, fileId, ContainerLayout.DigestProperty, digest, cancellationToken);
        await AddPropertyAsync(connection, PropertyRefType.File, fileId, ContainerLayout.MediaTypeProperty, mediaType, cancellationToken);
    }

    /// <summary>
    /// Makes a blob a file of the package's internal upload version (created, and held until the caller commits,
    /// when it is not there), where it waits for a manifest to use it.
    /// </summary>
    public static async Task AddToUploadVersionAsync(NpgsqlConnection connection, long packageId, long blobId, string hex, long created, CancellationToken cancellationToken)
    {
        long versionId;
        for (var attempt = 1; ; attempt++)
        {
            // Held (FOR KEY SHARE) until this push commits, so that the expired-data cleanup does not delete it as
            // empty before the file is in; inserted again when it did so between the two statements.
            if (await PackagesSql.ScalarAsync<long?>(connection, null, $"""
                INSERT INTO package_version (package_id, version, lower_version, created_unix, is_internal, metadata_json)
                VALUES ($1, '{ContainerLayout.UploadVersion}', '{ContainerLayout.UploadVersion}', $2, true, 'null')
                ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
                """, cancellationToken, packageId, created) is long inserted)
            {
                versionId = inserted;
                break;
            }

            if (await PackagesSql.ScalarAsync<long?>(connection, null,
                $"SELECT id FROM package_version WHERE package_id = $1 AND lower_version = '{ContainerLayout.UploadVersion}' FOR KEY SHARE",
                cancellationToken, packageId) is long existing)
            {
                versionId = existing;
                break;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException("The upload version kept disappearing while this push created it.");
            }
        }

        // Uploaded again: the file is young again, so the expired-data cleanup gives the client its full window.
        var fileId = (await PackagesSql.ScalarAsync<long?>(connection, null, """
            INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, is_lead, created_unix)
            VALUES ($1, $2, $3, lower($3), '', false, $4)
            ON CONFLICT (version_id, lower_name, composite_key) DO UPDATE SET blob_id = excluded.blob_id, created_unix = excluded.created_unix
            RETURNING id
            """, cancellationToken, versionId, blobId, ContainerLayout.BlobFileName(hex), created))!.Value;
        if (await PackagesSql.ScalarAsync<int?>(connection, null,
            $"SELECT 1 FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id = $1 AND name = '{ContainerLayout.DigestProperty}'",
            cancellationToken, fileId) is null)
        {
            await AddPropertyAsync(connection, PropertyRefType.File, fileId, ContainerLayout.DigestProperty, RegistryReferences.DigestOf(hex), cancellationToken);
        }
    }

    public static async Task AddPropertyAsync(NpgsqlConnection connection, PropertyRefType refType, long refId, string name, string value, CancellationToken cancellationToken)
        => await PackagesSql.ExecuteAsync(connection, null,
            "INSERT INTO package_property (ref_type, ref_id, name, value) VALUES ($1, $2, $3, $4)", cancellationToken, (long)refType, refId, name, value);
}
