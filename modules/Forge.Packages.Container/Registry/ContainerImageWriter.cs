using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Forge.Packages.Container.Registry;

/// <summary>A blob of an image (its config or a layer).</summary>
public sealed record ImageBlob(byte[] Content, string MediaType);

/// <summary>A platform manifest referenced by an image index.</summary>
public sealed record IndexEntry(string Digest, string Platform);

/// <summary>A blob an image manifest pushed over the registry API names: it must already be in the package.</summary>
public sealed record ManifestBlob(string Digest, string MediaType);

/// <summary>
/// A manifest as a client pushed it: its exact bytes (the digest is theirs), its media type, the metadata_json
/// SCHEMA.md describes (an index's <c>manifests</c> sizes are filled in here), the blobs of an image manifest,
/// and the manifests an index names.
/// </summary>
public sealed record ManifestPush(byte[] Content, string MediaType, JsonObject Metadata, IReadOnlyList<ManifestBlob> Blobs, IReadOnlyList<string> Entries);

/// <summary>An upload session was cancelled or expired while it was being finished.</summary>
public sealed class UploadGoneException(string uploadId) : Exception($"upload {uploadId} was cancelled or expired while it was being finished")
{
    public string UploadId { get; } = uploadId;
}

/// <summary>What a push created: the version and the manifest's digest.</summary>
public sealed record PushedManifest(long VersionId, string Digest, long Size);

/// <summary>An index push named a manifest that is not in the package (the registry answers MANIFEST_BLOB_UNKNOWN).</summary>
public sealed class ManifestBlobUnknownException(string digest)
    : Exception($"MANIFEST_BLOB_UNKNOWN: manifest {digest} is not in this repository")
{
    public string Digest { get; } = digest;
}

/// <summary>
/// The write path that publishes container images into the shared schema as SCHEMA.md lays them out:
/// blobs in the content store and package_blob, a version per manifest (by tag or by digest) with its
/// files, file properties and version properties. An index push locks the versions it references
/// (<c>FOR KEY SHARE</c>, CLEANUP.md rule 8) in the transaction that inserts it, so that it either commits
/// before the cleanup's re-check or fails with <see cref="ManifestBlobUnknownException"/>.
/// </summary>
public sealed class ContainerImageWriter(NpgsqlDataSource dataSource, ContentStore store, TimeProvider time)
{
    /// <summary>Pushes an image manifest of <paramref name="config"/> and <paramref name="layers"/> by tag, or by its digest when <paramref name="tag"/> is null.</summary>
    public async Task<PushedManifest> PushImageAsync(
        long ownerId, string repository, string? tag, string platform, ImageBlob config, IReadOnlyList<ImageBlob> layers,
        long? createdUnix = null, CancellationToken cancellationToken = default)
    {
        var blobs = new List<(ImageBlob Blob, string Hex)>();
        foreach (var blob in layers.Prepend(config))
        {
            blobs.Add((blob, Hash(blob.Content)));
        }

        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestDocument.OciManifest,
            ["config"] = Descriptor(config.MediaType, blobs[0].Hex, config.Content.Length),
            ["layers"] = new JsonArray(blobs.Skip(1).Select(b => (JsonNode)Descriptor(b.Blob.MediaType, b.Hex, b.Blob.Content.Length)).ToArray()),
        };
        var metadata = new JsonObject
        {
            ["type"] = "oci",
            ["is_tagged"] = tag is not null,
            ["platform"] = platform,
            ["labels"] = new JsonObject { ["org.opencontainers.image.source"] = $"https://example.invalid/{repository}" },
            ["layer_creation"] = new JsonArray(layers.Select((_, i) => (JsonNode)$"RUN step {i + 1}").ToArray()),
        };
        var push = new ManifestPush(Encoding.UTF8.GetBytes(manifest.ToJsonString()), ManifestDocument.OciManifest, metadata, [], []);
        return await PublishAsync(ownerId, repository, tag, push, blobs, createdUnix, cancellationToken);
    }

    /// <summary>Pushes an image index of manifests already in the repository, by tag or by its digest.</summary>
    public async Task<PushedManifest> PushIndexAsync(
        long ownerId, string repository, string? tag, IReadOnlyList<IndexEntry> entries,
        long? createdUnix = null, CancellationToken cancellationToken = default)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestDocument.OciIndex,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject
            {
                ["mediaType"] = ManifestDocument.OciManifest,
                ["digest"] = e.Digest,
                ["platform"] = PlatformNode(e.Platform),
            }).ToArray()),
        };
        var metadata = new JsonObject
        {
            ["type"] = "oci",
            ["is_tagged"] = tag is not null,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject
            {
                ["platform"] = e.Platform,
                ["digest"] = e.Digest,
                ["size"] = 0,
            }).ToArray()),
        };
        var push = new ManifestPush(Encoding.UTF8.GetBytes(manifest.ToJsonString()), ManifestDocument.OciIndex, metadata, [], [.. entries.Select(e => e.Digest)]);
        return await PublishAsync(ownerId, repository, tag, push, [], createdUnix, cancellationToken);
    }

    /// <summary>
    /// Publishes a manifest pushed over the registry API, by tag or by its digest when <paramref name="tag"/> is
    /// null. Its blobs must be in the package (uploaded, mounted or used by another version), an index's entries
    /// must be manifests of the package: otherwise <see cref="ManifestBlobUnknownException"/>.
    /// </summary>
    public Task<PushedManifest> PushManifestAsync(long ownerId, string repository, string? tag, ManifestPush push, CancellationToken cancellationToken)
        => PublishAsync(ownerId, repository, tag, push, [], null, cancellationToken);

    private async Task<PushedManifest> PublishAsync(
        long ownerId, string repository, string? tag, ManifestPush push, List<(ImageBlob Blob, string Hex)> newBlobs, long? createdUnix,
        CancellationToken cancellationToken)
    {
        var manifestBytes = push.Content;
        var manifestHex = Hash(manifestBytes);
        var digest = "sha256:" + manifestHex;
        var created = createdUnix ?? time.GetUtcNow().ToUnixTimeSeconds();
        var versionName = tag ?? digest;

        // Content is hashed and written to the store's tmp/ before any lock is taken.
        var contents = newBlobs.Select(b => (Content: b.Blob.Content, b.Hex)).Append((Content: manifestBytes, Hex: manifestHex))
            .DistinctBy(c => c.Hex).OrderBy(c => c.Hex, StringComparer.Ordinal).ToList();
        var staged = new List<StagedContent>();
        try
        {
            foreach (var (content, _) in contents)
            {
                using var stream = new MemoryStream(content, writable: false);
                staged.Add(await store.StageAsync(stream, cancellationToken));
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await CommitAsync();
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
                {
                    // A cleanup batch deleting this index's old row and its children in id order can cross this push's
                    // locks; PostgreSQL ends one of the two, and the push is done again from the start (its content is
                    // staged again where it was already moved into place).
                }
            }
        }
        finally
        {
            foreach (var file in staged)
            {
                File.Delete(file.TemporaryPath);
            }
        }

        async Task<PushedManifest> CommitAsync()
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var packageId = await EnsurePackageAsync(connection, ownerId, repository, cancellationToken);

            if (push.Entries.Count > 0)
            {
                var sizes = await LockEntriesAsync(connection, transaction, packageId, push.Entries, cancellationToken);
                if (push.Metadata["manifests"] is JsonArray listed)
                {
                    foreach (var entry in listed.OfType<JsonObject>())
                    {
                        if (entry["digest"]?.GetValue<string>() is { } entryDigest && sizes.TryGetValue(entryDigest.ToLowerInvariant(), out var size))
                        {
                            entry["size"] = size;
                        }
                    }
                }
            }

            // The blobs of a pushed image manifest: held (FOR KEY SHARE) until this version names them, so that
            // the expired-data cleanup cannot take an uploaded blob between this check and the commit.
            var existing = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var blob in push.Blobs.DistinctBy(b => b.Digest).OrderBy(b => b.Digest, StringComparer.Ordinal))
            {
                var hex = blob.Digest["sha256:".Length..];
                existing[hex] = await LockBlobOfPackageAsync(connection, packageId, hex, cancellationToken)
                    ?? throw new ManifestBlobUnknownException(blob.Digest);
            }

            var blobIds = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (content, file) in contents.Zip(staged))
            {
                blobIds[content.Hex] = await EnsureBlobAsync(connection, transaction, file, content.Content, created, cancellationToken);
            }

            var versionId = await UpsertVersionAsync(connection, packageId, versionName, digest, push.Entries, created, push.Metadata.ToJsonString(), cancellationToken);
            var files = newBlobs.Select(b => (b.Hex, b.Blob.MediaType, Id: blobIds[b.Hex]))
                .Concat(push.Blobs.Select(b => (Hex: b.Digest["sha256:".Length..], b.MediaType, Id: existing[b.Digest["sha256:".Length..]])))
                .DistinctBy(f => f.Hex);
            foreach (var (hex, mediaType, blobId) in files)
            {
                await AddFileAsync(connection, versionId, blobId, $"sha256_{hex}", false, "sha256:" + hex, mediaType, created, cancellationToken);
            }

            await AddFileAsync(connection, versionId, blobIds[manifestHex], "manifest.json", true, digest, push.MediaType, created, cancellationToken);
            if (tag is not null)
            {
                await AddPropertyAsync(connection, 0, versionId, "container.manifest.tagged", string.Empty, cancellationToken);
            }

            foreach (var entry in push.Entries.Select(e => e.ToLowerInvariant()).Distinct())
            {
                await AddPropertyAsync(connection, 0, versionId, "container.manifest.reference", entry, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new PushedManifest(versionId, digest, manifestBytes.Length);
        }
    }

    /// <summary>
    /// Rule 8: holds the versions an index names until the index commits; a cleanup that locked them first has
    /// deleted them by the time this returns, and the push fails instead of publishing an index with a missing
    /// child. An entry is a version named by its digest, or a version (a tag) whose manifest has that digest.
    /// Returns each entry's size: the sum of its version's blob sizes.
    /// </summary>
    private static async Task<Dictionary<string, long>> LockEntriesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long packageId, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        var wanted = entries.Select(e => e.ToLowerInvariant()).Distinct().ToArray();
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        // Twice: the first pass waits for the locks of whoever changes these versions (a re-pushed tag, a
        // delete), but reads their files in the snapshot from before the wait; the second, with the versions
        // held, reads what they have now.
        for (var pass = 1; pass <= 2; pass++)
        {
            found.Clear();
            await ReadAndLockAsync();
        }

        if (wanted.FirstOrDefault(d => !found.ContainsKey(d)) is { } missing)
        {
            throw new ManifestBlobUnknownException(missing);
        }

        return found;

        async Task ReadAndLockAsync()
        {
            await using var lockCommand = new NpgsqlCommand(
                """
                SELECT CASE WHEN v.lower_version = ANY($2) THEN v.lower_version ELSE (
                           SELECT lower(p.value) FROM package_file f JOIN package_property p ON p.ref_type = 1 AND p.ref_id = f.id AND p.name = 'container.digest'
                           WHERE f.version_id = v.id AND f.is_lead AND lower(p.value) = ANY($2) LIMIT 1) END,
                       (SELECT coalesce(sum(b.size), 0)::bigint FROM package_file f JOIN package_blob b ON b.id = f.blob_id WHERE f.version_id = v.id)
                FROM package_version v
                WHERE v.package_id = $1 AND NOT v.is_internal AND (v.lower_version = ANY($2) OR EXISTS (
                    SELECT 1 FROM package_file f JOIN package_property p ON p.ref_type = 1 AND p.ref_id = f.id AND p.name = 'container.digest'
                    WHERE f.version_id = v.id AND f.is_lead AND lower(p.value) = ANY($2)))
                ORDER BY v.id FOR KEY SHARE OF v
                """,
                connection,
                transaction);
            lockCommand.Parameters.AddWithValue(packageId);
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = wanted, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
            await using var reader = await lockCommand.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!reader.IsDBNull(0))
                {
                    found.TryAdd(reader.GetString(0), reader.GetInt64(1));
                }
            }
        }
    }

    private static async Task<long?> LockBlobOfPackageAsync(NpgsqlConnection connection, long packageId, string hex, CancellationToken cancellationToken)
        => await ScalarAsync(connection, """
            SELECT b.id FROM package_blob b
            WHERE b.hash_sha256 = $2::bpchar AND EXISTS (
                SELECT 1 FROM package_file f JOIN package_version v ON v.id = f.version_id WHERE v.package_id = $1 AND f.blob_id = b.id)
            FOR KEY SHARE OF b
            """, cancellationToken, packageId, hex) as long?;

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static async Task<long> EnsurePackageAsync(NpgsqlConnection connection, long ownerId, string repository, CancellationToken cancellationToken)
    {
        var image = repository.Contains('/', StringComparison.Ordinal) ? repository[(repository.IndexOf('/', StringComparison.Ordinal) + 1)..] : repository;
        // The package row is held (FOR KEY SHARE, which pushes share with each other) until this push
        // commits, so that the expired-data cleanup cannot delete it as empty before this version is in.
        for (var attempt = 1; ; attempt++)
        {
            if (await ScalarAsync(connection, """
                INSERT INTO package (owner_id, type, name, lower_name) VALUES ($1, 'container', $2, lower($2))
                ON CONFLICT (owner_id, type, lower_name) DO NOTHING RETURNING id
                """, cancellationToken, ownerId, image) is long created)
            {
                await AddPropertyAsync(connection, 2, created, "container.repository", repository.ToLowerInvariant(), cancellationToken);
                return created;
            }

            if (await ScalarAsync(connection,
                "SELECT id FROM package WHERE owner_id = $1 AND type = 'container' AND lower_name = lower($2) FOR KEY SHARE",
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

    private static async Task<long> UpsertVersionAsync(
        NpgsqlConnection connection, long packageId, string version, string digest, IReadOnlyList<string> entries, long created, string metadata,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // A re-pushed tag keeps its row and gets the new content: old files and properties go first.
            var existing = await ScalarAsync(connection,
                "SELECT id FROM package_version WHERE package_id = $1 AND lower_version = lower($2) FOR UPDATE", cancellationToken, packageId, version);
            if (existing is long id)
            {
                await KeepNamedManifestAsync(connection, packageId, id, digest, entries, cancellationToken);
                await ScalarAsync(connection, """
                    WITH f AS (DELETE FROM package_file WHERE version_id = $1 RETURNING id),
                    fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id IN (SELECT id FROM f) RETURNING 1),
                    vp AS (DELETE FROM package_property WHERE ref_type = 0 AND ref_id = $1 RETURNING 1)
                    UPDATE package_version SET metadata_json = $2, created_unix = $3 WHERE id = $1 RETURNING id
                    """, cancellationToken, id, metadata, created);
                return id;
            }

            // Another push of the same tag or digest inserted it meanwhile: once it commits, this one takes it over as above.
            if (await ScalarAsync(connection, """
                INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
                VALUES ($1, $2, lower($2), $3, $4) ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
                """, cancellationToken, packageId, version, created, metadata) is long inserted)
            {
                return inserted;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"The version {version} kept appearing and disappearing while this push created it.");
            }
        }
    }

    /// <summary>
    /// Before a tag gets new content: when an index of the package (or the one being pushed) names the tag's old
    /// manifest (clients that find a manifest by digest do not push it again) and no other version has it, the old manifest and its
    /// files move to a version named by its digest, which the index keeps and the dangling-image cleanup judges.
    /// Runs under the tag's row lock, which index pushes' FOR KEY SHARE waits for, so it sees every committed index.
    /// </summary>
    private static async Task KeepNamedManifestAsync(
        NpgsqlConnection connection, long packageId, long versionId, string digest, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT lower(d.value), v.created_unix, v.metadata_json FROM package_version v
            JOIN package_file f ON f.version_id = v.id AND f.is_lead
            JOIN package_property d ON d.ref_type = 1 AND d.ref_id = f.id AND d.name = 'container.digest'
            WHERE v.id = $2 AND lower(d.value) <> $3
            AND (lower(d.value) = ANY($4) OR EXISTS (SELECT 1 FROM package_property r JOIN package_version i ON i.id = r.ref_id
                        WHERE r.ref_type = 0 AND r.name = 'container.manifest.reference' AND lower(r.value) = lower(d.value)
                        AND i.package_id = $1 AND i.id <> v.id))
            AND NOT EXISTS (SELECT 1 FROM package_version o WHERE o.package_id = $1 AND o.id <> v.id AND NOT o.is_internal AND (o.lower_version = lower(d.value)
                            OR EXISTS (SELECT 1 FROM package_file of JOIN package_property od ON od.ref_type = 1 AND od.ref_id = of.id AND od.name = 'container.digest'
                                       WHERE of.version_id = o.id AND of.is_lead AND lower(od.value) = lower(d.value))))
            LIMIT 1
            """, connection);
        command.Parameters.AddWithValue(packageId);
        command.Parameters.AddWithValue(versionId);
        command.Parameters.AddWithValue(digest);
        command.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.ToLowerInvariant()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        string oldDigest;
        long oldCreated;
        string? oldMetadata;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return;
            }

            (oldDigest, oldCreated, oldMetadata) = (reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        // Pushed by digest meanwhile (ON CONFLICT): that version has the manifest, and this tag's files go as usual.
        if (await ScalarAsync(connection, """
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            VALUES ($1, $2, $2, $3, $4) ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
            """, cancellationToken, packageId, oldDigest, oldCreated, (object?)Untagged(oldMetadata) ?? DBNull.Value) is long kept)
        {
            await ScalarAsync(connection, """
                WITH f AS (UPDATE package_file SET version_id = $2 WHERE version_id = $1 RETURNING 1)
                UPDATE package_property SET ref_id = $2 WHERE ref_type = 0 AND ref_id = $1 AND name = 'container.manifest.reference'
                """, cancellationToken, versionId, kept);
        }
    }

    private static string? Untagged(string? metadata)
    {
        try
        {
            if (metadata is not null && JsonNode.Parse(metadata) is JsonObject document)
            {
                document["is_tagged"] = false;
                return document.ToJsonString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Kept as it is: the cleanup reads damaged metadata safely.
        }

        return metadata;
    }

    private async Task<long> EnsureBlobAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StagedContent staged, byte[] content, long created, CancellationToken cancellationToken)
    {
        return await EnsureBlobAsync(connection, transaction, staged, BlobHashes.Of(content), Restage, created, cancellationToken, store);

        async Task<StagedContent> Restage()
        {
            using var again = new MemoryStream(content, writable: false);
            return await store.StageAsync(again, cancellationToken);
        }
    }

    private static async Task<long> EnsureBlobAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StagedContent staged, BlobHashes hashes, Func<Task<StagedContent>>? restage,
        long created, CancellationToken cancellationToken, ContentStore? publishTo = null)
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

        (publishTo ?? throw new InvalidOperationException("No content store.")).Publish(staged);

        for (var attempt = 1; ; attempt++)
        {
            if (await ScalarAsync(connection, """
                INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash_sha256) DO NOTHING RETURNING id
                """, cancellationToken, hashes.Size, hashes.Md5, hashes.Sha1, hashes.Sha256, hashes.Sha512, created) is long inserted)
            {
                return inserted;
            }

            if (await ScalarAsync(connection, "SELECT id FROM package_blob WHERE hash_sha256 = $1::bpchar FOR KEY SHARE", cancellationToken, hashes.Sha256) is long existing)
            {
                return existing;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"The blob sha256:{hashes.Sha256} kept disappearing while this push used it.");
            }
        }
    }

    /// <summary>
    /// Stores a finished upload (its bytes at <paramref name="path"/>, already hashed) as a blob of the repository:
    /// the content in the store, a package_blob row, and a file of the package's internal <c>_upload</c> version,
    /// which the expired-data cleanup removes once it is old and no manifest uses the blob. The upload session
    /// <paramref name="uploadId"/>, when given, is deleted in the same transaction.
    /// </summary>
    public async Task AddUploadedBlobAsync(
        long ownerId, string repository, string path, BlobHashes hashes, string? uploadId, CancellationToken cancellationToken)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (uploadId is not null
            && await ScalarAsync(connection, "DELETE FROM package_blob_upload WHERE id = $1 RETURNING bytes_received", cancellationToken, uploadId) is not long received)
        {
            // Cancelled or expired while it was being finished: its bytes are not to be trusted.
            throw new UploadGoneException(uploadId);
        }

        var packageId = await EnsurePackageAsync(connection, ownerId, repository, cancellationToken);
        var staged = new StagedContent(path, hashes.Sha256, hashes.Size);
        var blobId = await EnsureBlobAsync(connection, transaction, staged, hashes, null, created, cancellationToken, store);
        await AddToUploadVersionAsync(connection, packageId, blobId, hashes.Sha256, created, cancellationToken);

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Mounts a blob of <paramref name="fromPackageId"/> into <paramref name="repository"/> (same owner): the blob
    /// becomes a file of the target's <c>_upload</c> version. False when the source has no such blob.
    /// </summary>
    public async Task<bool> MountBlobAsync(long ownerId, string repository, long fromPackageId, string hex, CancellationToken cancellationToken)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockBlobOfPackageAsync(connection, fromPackageId, hex, cancellationToken) is not long blobId)
        {
            return false;
        }

        var packageId = await EnsurePackageAsync(connection, ownerId, repository, cancellationToken);
        await AddToUploadVersionAsync(connection, packageId, blobId, hex, created, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task AddToUploadVersionAsync(NpgsqlConnection connection, long packageId, long blobId, string hex, long created, CancellationToken cancellationToken)
    {
        long versionId;
        for (var attempt = 1; ; attempt++)
        {
            // Held (FOR KEY SHARE) until this push commits, so that the expired-data cleanup does not delete it as
            // empty before the file is in; inserted again when it did so between the two statements.
            if (await ScalarAsync(connection, """
                INSERT INTO package_version (package_id, version, lower_version, created_unix, is_internal, metadata_json)
                VALUES ($1, '_upload', '_upload', $2, true, 'null') ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
                """, cancellationToken, packageId, created) is long inserted)
            {
                versionId = inserted;
                break;
            }

            if (await ScalarAsync(connection, "SELECT id FROM package_version WHERE package_id = $1 AND lower_version = '_upload' FOR KEY SHARE",
                cancellationToken, packageId) is long existing)
            {
                versionId = existing;
                break;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException("The _upload version kept disappearing while this push created it.");
            }
        }

        // Uploaded again: the file is young again, so the expired-data cleanup gives the client its full window.
        var fileId = (long)(await ScalarAsync(connection, """
            INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, is_lead, created_unix)
            VALUES ($1, $2, $3, lower($3), '', false, $4)
            ON CONFLICT (version_id, lower_name, composite_key) DO UPDATE SET blob_id = excluded.blob_id, created_unix = excluded.created_unix
            RETURNING id
            """, cancellationToken, versionId, blobId, $"sha256_{hex}", created))!;
        if (await ScalarAsync(connection, "SELECT 1 FROM package_property WHERE ref_type = 1 AND ref_id = $1 AND name = 'container.digest'", cancellationToken, fileId) is null)
        {
            await AddPropertyAsync(connection, 1, fileId, "container.digest", "sha256:" + hex, cancellationToken);
        }
    }

    private static async Task AddFileAsync(
        NpgsqlConnection connection, long versionId, long blobId, string name, bool isLead, string digest, string mediaType, long created,
        CancellationToken cancellationToken)
    {
        var fileId = (long)(await ScalarAsync(connection, """
            INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, is_lead, created_unix)
            VALUES ($1, $2, $3, lower($3), '', $4, $5)
            ON CONFLICT (version_id, lower_name, composite_key) DO UPDATE SET blob_id = excluded.blob_id RETURNING id
            """, cancellationToken, versionId, blobId, name, isLead, created))!;
        await AddPropertyAsync(connection, 1, fileId, "container.digest", digest, cancellationToken);
        await AddPropertyAsync(connection, 1, fileId, "container.mediatype", mediaType, cancellationToken);
    }

    private static async Task AddPropertyAsync(NpgsqlConnection connection, long refType, long refId, string name, string value, CancellationToken cancellationToken)
        => await ScalarAsync(connection, "INSERT INTO package_property (ref_type, ref_id, name, value) VALUES ($1, $2, $3, $4)", cancellationToken, refType, refId, name, value);

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static JsonObject Descriptor(string mediaType, string hex, long size)
        => new() { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = size };

    private static JsonObject PlatformNode(string platform)
    {
        var parts = platform.Split('/');
        var node = new JsonObject { ["os"] = parts[0], ["architecture"] = parts.Length > 1 ? parts[1] : "unknown" };
        if (parts.Length > 2)
        {
            node["variant"] = parts[2];
        }

        return node;
    }
}
