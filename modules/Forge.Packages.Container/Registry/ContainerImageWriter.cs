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
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";

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
            ["mediaType"] = OciManifest,
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
        return await PublishAsync(ownerId, repository, tag, manifest, OciManifest, metadata, blobs, [], createdUnix, cancellationToken);
    }

    /// <summary>Pushes an image index of manifests already in the repository, by tag or by its digest.</summary>
    public async Task<PushedManifest> PushIndexAsync(
        long ownerId, string repository, string? tag, IReadOnlyList<IndexEntry> entries,
        long? createdUnix = null, CancellationToken cancellationToken = default)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndex,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject
            {
                ["mediaType"] = OciManifest,
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
        return await PublishAsync(ownerId, repository, tag, manifest, OciIndex, metadata, [], entries, createdUnix, cancellationToken);
    }

    private async Task<PushedManifest> PublishAsync(
        long ownerId, string repository, string? tag, JsonObject manifest, string mediaType, JsonObject metadata,
        List<(ImageBlob Blob, string Hex)> blobs, IReadOnlyList<IndexEntry> entries, long? createdUnix, CancellationToken cancellationToken)
    {
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var manifestHex = Hash(manifestBytes);
        var digest = "sha256:" + manifestHex;
        var created = createdUnix ?? time.GetUtcNow().ToUnixTimeSeconds();
        var versionName = tag ?? digest;

        // Content is hashed and written to the store's tmp/ before any lock is taken.
        var contents = blobs.Select(b => (Content: b.Blob.Content, b.Hex)).Append((Content: manifestBytes, Hex: manifestHex))
            .DistinctBy(c => c.Hex).OrderBy(c => c.Hex, StringComparer.Ordinal).ToList();
        var staged = new List<StagedContent>();
        try
        {
            foreach (var (content, _) in contents)
            {
                using var stream = new MemoryStream(content, writable: false);
                staged.Add(await store.StageAsync(stream, cancellationToken));
            }

            return await CommitAsync();
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

            if (entries.Count > 0)
            {
                // Rule 8: hold the referenced versions until this index commits; a cleanup that locked them
                // first has deleted them by the time this returns, and the push fails instead of publishing
                // an index with a missing child.
                var wanted = entries.Select(e => e.Digest.ToLowerInvariant()).Distinct().ToArray();
                var found = new HashSet<string>();
                await using (var lockCommand = new NpgsqlCommand(
                    "SELECT lower(lower_version) FROM package_version WHERE package_id = $1 AND lower(lower_version) = ANY($2) ORDER BY id FOR KEY SHARE",
                    connection,
                    transaction))
                {
                    lockCommand.Parameters.AddWithValue(packageId);
                    lockCommand.Parameters.Add(new NpgsqlParameter { Value = wanted, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
                    await using var reader = await lockCommand.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        found.Add(reader.GetString(0));
                    }
                }

                if (wanted.FirstOrDefault(d => !found.Contains(d)) is { } missing)
                {
                    throw new ManifestBlobUnknownException(missing);
                }
            }

            var blobIds = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (content, file) in contents.Zip(staged))
            {
                blobIds[content.Hex] = await EnsureBlobAsync(connection, transaction, file, content.Content, created, cancellationToken);
            }

            var versionId = await UpsertVersionAsync(connection, packageId, versionName, created, metadata.ToJsonString(), cancellationToken);
            foreach (var (blob, hex) in blobs)
            {
                await AddFileAsync(connection, versionId, blobIds[hex], $"sha256_{hex}", false, "sha256:" + hex, blob.MediaType, created, cancellationToken);
            }

            await AddFileAsync(connection, versionId, blobIds[manifestHex], "manifest.json", true, digest, mediaType, created, cancellationToken);
            if (tag is not null)
            {
                await AddPropertyAsync(connection, 0, versionId, "container.manifest.tagged", string.Empty, cancellationToken);
            }

            foreach (var entry in entries)
            {
                await AddPropertyAsync(connection, 0, versionId, "container.manifest.reference", entry.Digest.ToLowerInvariant(), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new PushedManifest(versionId, digest, manifestBytes.Length);
        }
    }

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
        NpgsqlConnection connection, long packageId, string version, long created, string metadata, CancellationToken cancellationToken)
    {
        // A re-pushed tag keeps its row and gets the new content: old files and properties go first.
        var existing = await ScalarAsync(connection,
            "SELECT id FROM package_version WHERE package_id = $1 AND lower_version = lower($2) FOR UPDATE", cancellationToken, packageId, version);
        if (existing is long id)
        {
            await ScalarAsync(connection, """
                WITH f AS (DELETE FROM package_file WHERE version_id = $1 RETURNING id),
                fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id IN (SELECT id FROM f) RETURNING 1),
                vp AS (DELETE FROM package_property WHERE ref_type = 0 AND ref_id = $1 RETURNING 1)
                UPDATE package_version SET metadata_json = $2, created_unix = $3 WHERE id = $1 RETURNING id
                """, cancellationToken, id, metadata, created);
            return id;
        }

        return (long)(await ScalarAsync(connection, """
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            VALUES ($1, $2, lower($2), $3, $4) RETURNING id
            """, cancellationToken, packageId, version, created, metadata))!;
    }

    // MD5 and SHA-1 fill package_blob's hash columns (the schema has them for other package types'
    // clients); nothing here relies on them for integrity, SHA-256 keys the content.
#pragma warning disable CA5350, CA5351
    private async Task<long> EnsureBlobAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StagedContent staged, byte[] content, long created, CancellationToken cancellationToken)
    {
        // Under the blob's shared content lock (hashes in ordinal order), the file is put in place and
        // the row made or held (FOR KEY SHARE) until this push commits: the expired-data cleanup, which
        // removes content under the exclusive lock and skips held rows, never takes content a row is
        // about to name, and pushes of the same layer do not wait for each other.
        await BlobContentLock.AcquireSharedAsync(connection, transaction, staged.Sha256, cancellationToken);
        if (!File.Exists(staged.TemporaryPath))
        {
            // Swept from tmp/ while this push waited: write it again; a row must never name absent content.
            using var again = new MemoryStream(content, writable: false);
            staged = await store.StageAsync(again, cancellationToken);
        }

        store.Publish(staged);

        for (var attempt = 1; ; attempt++)
        {
            if (await ScalarAsync(connection, """
                INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash_sha256) DO NOTHING RETURNING id
                """, cancellationToken, (long)content.Length, Convert.ToHexStringLower(MD5.HashData(content)),
                Convert.ToHexStringLower(SHA1.HashData(content)), staged.Sha256, Convert.ToHexStringLower(SHA512.HashData(content)), created) is long inserted)
            {
                return inserted;
            }

            if (await ScalarAsync(connection, "SELECT id FROM package_blob WHERE hash_sha256 = $1::bpchar FOR KEY SHARE", cancellationToken, staged.Sha256) is long existing)
            {
                return existing;
            }

            if (attempt == 3)
            {
                throw new InvalidOperationException($"The blob sha256:{staged.Sha256} kept disappearing while this push used it.");
            }
        }
    }
#pragma warning restore CA5350, CA5351

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
