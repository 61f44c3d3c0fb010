using System.Collections.Concurrent;
using System.Security.Cryptography;
using Npgsql;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// Blob upload sessions of the registry API: a row in package_blob_upload and the partial bytes in the content
/// store's <c>uploads/</c> folder, one file per session. Bytes stream from the request to the file and through
/// the hashes on the way; nothing holds a blob in memory. A chunk is appended under the session row's lock, so
/// chunks of one session never interleave, and a chunk that fails halfway leaves the session where it was: its
/// bytes past <c>bytes_received</c> are cut off by the next chunk.
/// </summary>
/// <remarks>
/// The running hashes live in this process (hash_state_bytes stays NULL: .NET cannot serialise a hash state).
/// A session continued on another node, or after a restart, has its hashes rebuilt from the partial file.
/// </remarks>
public sealed class BlobUploads(NpgsqlDataSource dataSource, ContentStore store, ContainerImageWriter writer, TimeProvider time)
{
    private const int BufferSize = 128 * 1024;
    private static readonly TimeSpan IdleHasher = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, RunningHash> hashers = new(StringComparer.Ordinal);

    /// <summary>Starts a session for <paramref name="repository"/>, which alone may continue it; returns its id.</summary>
    public async Task<string> StartAsync(RepositoryName repository, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = store.UploadPathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [], cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        await using var command = dataSource.CreateCommand(
            "INSERT INTO package_blob_upload (id, bytes_received, created_unix, updated_unix, repository) VALUES ($1, 0, $2, $2, $3)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(Bound(repository));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    /// <summary>The bytes a session has received; throws BLOB_UPLOAD_UNKNOWN for an unknown session.</summary>
    public async Task<long> StatusAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT bytes_received FROM package_blob_upload WHERE id = $1 AND {OfRepository}");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(Bound(repository));
        return await command.ExecuteScalarAsync(cancellationToken) is long received ? received : throw RegistryException.BlobUploadUnknown(id);
    }

    /// <summary>
    /// Appends <paramref name="body"/> to the session. <paramref name="start"/>, from a Content-Range, must be
    /// where the session stands (416 otherwise). Returns the bytes received in all.
    /// </summary>
    public async Task<long> AppendAsync(RepositoryName repository, string id, long? start, long? expectedLength, Stream body, CancellationToken cancellationToken)
        => (await AppendCoreAsync(repository, id, start, expectedLength, body, cancellationToken)).Size;

    /// <summary>
    /// Finishes a session with its last bytes: the whole content must have <paramref name="digest"/>. A match is
    /// stored as a blob of the repository; a mismatch ends the session and removes its bytes (DIGEST_INVALID).
    /// </summary>
    public async Task<BlobHashes> FinishAsync(
        long ownerId, RepositoryName repository, string id, string digest, Stream body, CancellationToken cancellationToken)
    {
        var hashes = await AppendCoreAsync(repository, id, null, null, body, cancellationToken);
        if (!string.Equals(hashes.Digest, digest, StringComparison.Ordinal))
        {
            await CancelAsync(repository, id, cancellationToken);
            throw RegistryException.DigestInvalid($"the upload's content has digest {hashes.Digest}, not {digest}; the upload is discarded");
        }

        try
        {
            await writer.AddUploadedBlobAsync(ownerId, repository.Full, store.UploadPathOf(id), hashes, id, cancellationToken);
        }
        catch (UploadGoneException)
        {
            throw RegistryException.BlobUploadUnknown(id);
        }
        finally
        {
            Forget(id);
        }

        return hashes;
    }

    /// <summary>Ends a session and removes its bytes; throws BLOB_UPLOAD_UNKNOWN for an unknown session.</summary>
    public async Task CancelAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"DELETE FROM package_blob_upload WHERE id = $1 AND {OfRepository}");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(Bound(repository));
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        if (deleted == 0)
        {
            // Nothing of an unknown session is touched (its uploads/ folder may not even exist yet).
            throw RegistryException.BlobUploadUnknown(id);
        }

        Forget(id);
        File.Delete(store.UploadPathOf(id));
    }

    // Another repository's session is unknown here, as if it did not exist: its bytes are not this request's to
    // read, extend, finish or cancel. A session without a repository (written by another tool) is not bound.
    private const string OfRepository = "(repository IS NULL OR repository = $2)";

    private static string Bound(RepositoryName repository) => repository.Full.ToLowerInvariant();

    /// <summary>True when <paramref name="id"/> could name a session (anything else is unknown, never a path).</summary>
    public static bool IsSessionId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private async Task<BlobHashes> AppendCoreAsync(RepositoryName repository, string id, long? start, long? expectedLength, Stream body, CancellationToken cancellationToken)
    {
        if (!IsSessionId(id))
        {
            throw RegistryException.BlobUploadUnknown(id);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long received;
        await using (var select = new NpgsqlCommand($"SELECT bytes_received FROM package_blob_upload WHERE id = $1 AND {OfRepository} FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue(id);
            select.Parameters.AddWithValue(Bound(repository));
            received = await select.ExecuteScalarAsync(cancellationToken) is long value ? value : throw RegistryException.BlobUploadUnknown(id);
        }

        if (start is { } from && from != received)
        {
            throw new RangeNotSatisfiableException(received, $"the chunk starts at byte {from}, but the upload has {received} bytes: send from byte {received}");
        }

        var path = store.UploadPathOf(id);
        var hasher = await HasherAtAsync(id, path, received, cancellationToken);
        var written = 0L;
        try
        {
            await using var file = OpenPartial(id, path, received);
            // Bytes past bytes_received are a chunk that failed halfway: cut off. Never extended: a file shorter than
            // the session says would be padded with zeros that the hashes never saw.
            file.SetLength(received);
            file.Position = received;
            var buffer = new byte[BufferSize];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hasher.Hasher.Append(buffer.AsSpan(0, read));
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                written += read;
            }

            await file.FlushAsync(cancellationToken);
            if (expectedLength is { } length && length != written)
            {
                throw RegistryException.SizeInvalid($"the chunk has {written} bytes, but its Content-Range says {length}");
            }

            await using var update = new NpgsqlCommand(
                "UPDATE package_blob_upload SET bytes_received = $2, updated_unix = $3 WHERE id = $1", connection, transaction);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(received + written);
            update.Parameters.AddWithValue(time.GetUtcNow().ToUnixTimeSeconds());
            await update.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // The hashes have seen bytes the session does not keep: rebuilt from the file next time.
            Forget(id);
            throw;
        }

        hasher.LastUsed = time.GetUtcNow();
        return hasher.Hasher.Finish();
    }

    private static FileStream OpenPartial(string id, string path, long received)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, received > 0 ? FileMode.Open : FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, BufferSize, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw RegistryException.BlobUploadInvalid($"upload {id} lost the bytes it had received; start the upload again");
        }

        if (file.Length < received)
        {
            file.Dispose();
            throw RegistryException.BlobUploadInvalid($"upload {id} lost bytes it had received; start the upload again");
        }

        return file;
    }

    private async Task<RunningHash> HasherAtAsync(string id, string path, long received, CancellationToken cancellationToken)
    {
        if (hashers.TryGetValue(id, out var running) && running.Hasher.Length == received)
        {
            return running;
        }

        Forget(id);
        var now = time.GetUtcNow();
        foreach (var idle in hashers.Where(h => now - h.Value.LastUsed > IdleHasher).Select(h => h.Key).ToList())
        {
            Forget(idle);
        }

        running = new RunningHash(new BlobHasher(), now);
        if (received > 0)
        {
            // Continued here after a restart or on another node: hash what the session already has.
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, useAsync: true);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                running.Hasher.Dispose();
                throw RegistryException.BlobUploadInvalid($"upload {id} lost the bytes it had received; start the upload again");
            }

            await using var partial = file;
            if (file.Length < received)
            {
                running.Hasher.Dispose();
                throw RegistryException.BlobUploadInvalid($"upload {id} lost bytes it had received; start the upload again");
            }

            var buffer = new byte[BufferSize];
            var left = received;
            while (left > 0)
            {
                var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                running.Hasher.Append(buffer.AsSpan(0, read));
                left -= read;
            }
        }

        hashers[id] = running;
        return running;
    }

    private void Forget(string id)
    {
        if (hashers.TryRemove(id, out var running))
        {
            running.Hasher.Dispose();
        }
    }

    private sealed class RunningHash(BlobHasher hasher, DateTimeOffset lastUsed)
    {
        public BlobHasher Hasher { get; } = hasher;

        public DateTimeOffset LastUsed { get; set; } = lastUsed;
    }
}

/// <summary>A chunk that does not start where its session stands (416, with the session's Range).</summary>
public sealed class RangeNotSatisfiableException(long received, string message) : Exception(message)
{
    public long Received { get; } = received;
}
