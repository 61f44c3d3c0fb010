using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Registry;
using Forge.Packages.Content;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// Publishes a manifest into the shared schema as docs/schema.md lays images out: the manifest's content in the
/// store and package_blob, a version (by tag or by digest) with its files, file properties and version
/// properties, in one transaction. An index holds the versions it names until it commits (rule 8,
/// <see cref="IndexEntryLocks"/>), every manifest holds its referrers (<see cref="ReferrerLocks"/>), and an image
/// manifest holds its blobs. A push that PostgreSQL ends as a deadlock's
/// victim (crossing a cleanup batch) is done again.
/// </summary>
public sealed class ManifestPublisher(NpgsqlDataSource dataSource, IContentStore store, ContentStaging staging, TimeProvider time)
{
    private const int MaxAttempts = 3;

    /// <summary>
    /// Publishes <paramref name="push"/> by <paramref name="tag"/>, or by its digest when the tag is null. The blobs it
    /// names must be in the package (uploaded, mounted or used by another version) and an index's entries must be
    /// manifests of the package: otherwise ManifestBlobUnknown, and nothing is written. <paramref name="newBlobs"/>
    /// is content stored with the manifest (synthetic images); <paramref name="createdUnix"/> dates the rows (now by default).
    /// </summary>
    public async Task<PushedManifest> PublishAsync(
        long ownerId, string repository, string? tag, ManifestPush push, IReadOnlyList<ImageBlob> newBlobs, long? createdUnix,
        CancellationToken cancellationToken)
    {
        var manifestHex = Convert.ToHexStringLower(SHA256.HashData(push.Content));
        var digest = RegistryReferences.DigestOf(manifestHex);
        var created = createdUnix ?? time.GetUtcNow().ToUnixTimeSeconds();

        // Content is hashed and written to the staging folder's tmp/ before any lock is taken; in ordinal order of the
        // hashes, the order their content locks are taken in.
        var newFiles = newBlobs.Select(b => (Hex: b.Sha256, b.MediaType, b.Content)).ToList();
        var contents = newFiles.Select(b => (b.Content, b.Hex))
            .Append((push.Content, Hex: manifestHex))
            .DistinctBy(c => c.Hex).OrderBy(c => c.Hex, StringComparer.Ordinal).ToList();
        var staged = new List<StagedContent>();
        try
        {
            foreach (var (content, _) in contents)
            {
                staged.Add(await StageAsync(content, cancellationToken));
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await CommitAsync();
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < MaxAttempts)
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
            var packageId = await ContainerRows.EnsurePackageAsync(connection, ownerId, repository, cancellationToken);

            if (push.Entries.Count > 0)
            {
                var sizes = await IndexEntryLocks.LockAsync(connection, transaction, packageId, push.Entries, cancellationToken);
                FillEntrySizes(push.Metadata, sizes);
            }

            // The referrers of this manifest: a cleanup deciding that their subject is gone must see this push.
            await ReferrerLocks.LockAsync(connection, transaction, packageId, digest, cancellationToken);

            // The blobs of an image manifest: held (FOR KEY SHARE) until this version names them, so that the
            // expired-data cleanup cannot take an uploaded blob between this check and the commit.
            var existing = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var blob in push.Blobs.DistinctBy(b => b.Digest).OrderBy(b => b.Digest, StringComparer.Ordinal))
            {
                var hex = RegistryReferences.HexOf(blob.Digest);
                existing[hex] = await ContainerRows.LockBlobOfPackageAsync(connection, packageId, hex, cancellationToken)
                    ?? throw RegistryFailureException.ManifestBlobUnknown(blob.Digest);
            }

            var blobIds = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var ((content, hex), file) in contents.Zip(staged))
            {
                blobIds[hex] = await ContainerRows.EnsureBlobAsync(
                    connection, transaction, store, file, BlobHashes.Of(content), () => StageAsync(content, cancellationToken), created, cancellationToken);
            }

            var versionId = await UpsertVersionAsync(connection, packageId, tag ?? digest, digest, push.Entries, created, push.Metadata.ToJsonString(), cancellationToken);
            var files = newFiles.Select(b => (b.Hex, b.MediaType))
                .Concat(push.Blobs.Select(b => (Hex: RegistryReferences.HexOf(b.Digest), b.MediaType)))
                .DistinctBy(f => f.Hex);
            foreach (var (hex, mediaType) in files)
            {
                var blobId = blobIds.TryGetValue(hex, out var id) ? id : existing[hex];
                await ContainerRows.AddFileAsync(
                    connection, versionId, blobId, ContainerLayout.BlobFileName(hex), false, RegistryReferences.DigestOf(hex), mediaType, created, cancellationToken);
            }

            await ContainerRows.AddFileAsync(
                connection, versionId, blobIds[manifestHex], ContainerLayout.ManifestFile, true, digest, push.MediaType, created, cancellationToken);
            if (tag is not null)
            {
                await ContainerRows.AddPropertyAsync(connection, PropertyRefType.Version, versionId, ContainerLayout.TaggedProperty, string.Empty, cancellationToken);
            }

            foreach (var entry in push.Entries.Select(e => e.ToLowerInvariant()).Distinct())
            {
                await ContainerRows.AddPropertyAsync(connection, PropertyRefType.Version, versionId, ContainerLayout.ReferenceProperty, entry, cancellationToken);
            }

            if (push.Subject is { } subject)
            {
                await ContainerRows.AddPropertyAsync(
                    connection, PropertyRefType.Version, versionId, ContainerLayout.SubjectProperty, subject.ToLowerInvariant(), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new PushedManifest(versionId, digest, push.Content.Length, push.Subject?.ToLowerInvariant());
        }
    }

    private async Task<StagedContent> StageAsync(byte[] content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content, writable: false);
        return await staging.StageAsync(stream, cancellationToken);
    }

    /// <summary>An index's metadata lists its entries with the size of each (the sum of its version's blob sizes), as Forgejo writes it.</summary>
    private static void FillEntrySizes(JsonObject metadata, Dictionary<string, long> sizes)
    {
        if (metadata["manifests"] is not JsonArray listed)
        {
            return;
        }

        foreach (var entry in listed.OfType<JsonObject>())
        {
            if (entry["digest"]?.GetValue<string>() is { } entryDigest && sizes.TryGetValue(entryDigest.ToLowerInvariant(), out var size))
            {
                entry["size"] = size;
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
            if (await PackagesSql.ScalarAsync<long?>(connection, null,
                "SELECT id FROM package_version WHERE package_id = $1 AND lower_version = lower($2) FOR UPDATE", cancellationToken, packageId, version) is long id)
            {
                await TagRepush.KeepNamedManifestAsync(connection, packageId, id, digest, entries, cancellationToken);
                await PackagesSql.ExecuteAsync(connection, null, ReplaceContent, cancellationToken, id, metadata, created);
                return id;
            }

            // Another push of the same tag or digest inserted it meanwhile: once it commits, this one takes it over as above.
            if (await PackagesSql.ScalarAsync<long?>(connection, null, """
                INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
                VALUES ($1, $2, lower($2), $3, $4) ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
                """, cancellationToken, packageId, version, created, metadata) is long inserted)
            {
                return inserted;
            }

            if (attempt == MaxAttempts)
            {
                throw new InvalidOperationException($"The version {version} kept appearing and disappearing while this push created it.");
            }
        }
    }

    private static readonly string ReplaceContent = $"""
        WITH f AS (DELETE FROM package_file WHERE version_id = $1 RETURNING id),
        fp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id IN (SELECT id FROM f) RETURNING 1),
        vp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = $1 RETURNING 1)
        UPDATE package_version SET metadata_json = $2, created_unix = $3 WHERE id = $1 RETURNING id
        """;
}
