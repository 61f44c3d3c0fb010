using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Forge.Packages.Container.Data;
using Forge.Packages.Content;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// Blob upload sessions of the registry API: a row (<see cref="UploadSessions"/>) and the partial bytes in the
/// staging folder's <c>uploads/</c> (<see cref="ContentStaging"/>), one file per session. Bytes stream from the request to the file and
/// through the hashes on the way; nothing holds a blob in memory. A chunk is appended under the session row's
/// lock, so chunks of one session never interleave, and a chunk that fails halfway leaves the session where it
/// was: its bytes past <c>bytes_received</c> are cut off by the next chunk.
/// </summary>
/// <remarks>
/// The running hashes live in this process (hash_state_bytes stays NULL: .NET cannot serialise a hash state).
/// A session continued on another node, or after a restart, has its hashes rebuilt from the partial file. With the S3
/// store, each chunk is also kept in the bucket before the session's row counts it (<see cref="IUploadChunkStore"/>), and
/// a node that finds its partial file behind the row (another node took chunks, or it never saw the session) fills it
/// from there first: any node may take the next chunk, and a chunk acknowledged survives the node that took it.
/// </remarks>
public sealed class BlobUploads(UploadSessions sessions, UploadedBlobs uploaded, ContentStaging staging, IUploadChunkStore chunks, TimeProvider time)
{
    private const int BufferSize = 128 * 1024;

    // A piece of an upload in flight: received while the one before is written and hashed.
    private const int PieceSize = 1024 * 1024;
    private static readonly TimeSpan IdleHasher = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, RunningHash> hashers = new(StringComparer.Ordinal);

    /// <summary>Starts a session for <paramref name="repository"/>, which alone may continue it; returns its id.</summary>
    public async Task<string> StartAsync(RepositoryName repository, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = staging.UploadPathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [], cancellationToken);
        await sessions.StartAsync(repository, id, cancellationToken);
        return id;
    }

    /// <summary>The bytes a session has received; UploadUnknown for a session the repository does not have.</summary>
    public async Task<long> StatusAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
        => await sessions.ReceivedAsync(repository, CheckedId(id), cancellationToken) ?? throw RegistryFailureException.UploadUnknown(id);

    /// <summary>
    /// Appends <paramref name="body"/> to the session. <paramref name="start"/>, from a Content-Range, must be
    /// where the session stands (UploadOutOfOrder otherwise). Returns the bytes received in all.
    /// </summary>
    public async Task<long> AppendAsync(RepositoryName repository, string id, long? start, long? expectedLength, Stream body, CancellationToken cancellationToken)
        => (await AppendCoreAsync(repository, id, start, expectedLength, body, finishing: false, cancellationToken)).Size;

    /// <summary>
    /// Finishes a session with its last bytes: the whole content must have <paramref name="digest"/>. A match is
    /// stored as a blob of the repository; a mismatch ends the session and removes its bytes (DigestInvalid).
    /// </summary>
    public async Task<BlobHashes> FinishAsync(
        long ownerId, RepositoryName repository, string id, string digest, Stream body, CancellationToken cancellationToken)
    {
        var hashes = await AppendCoreAsync(repository, id, null, null, body, finishing: true, cancellationToken);
        if (!string.Equals(hashes.Digest, digest, StringComparison.Ordinal))
        {
            await CancelAsync(repository, id, cancellationToken);
            throw RegistryFailureException.DigestInvalid($"the upload's content has digest {hashes.Digest}, not {digest}; the upload is discarded");
        }

        try
        {
            await uploaded.AddAsync(ownerId, repository.Full, staging.UploadPathOf(id), hashes, id, cancellationToken);
        }
        finally
        {
            Forget(id);
        }

        // The blob is stored and the session gone: its chunks are of no use (the expired-data cleanup removes any left).
        await chunks.DeleteAsync(id, CancellationToken.None);
        return hashes;
    }

    /// <summary>Ends a session and removes its bytes; UploadUnknown for a session the repository does not have.</summary>
    public async Task CancelAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        if (!await sessions.DeleteAsync(repository, CheckedId(id), cancellationToken))
        {
            // Nothing of an unknown session is touched (its uploads/ folder may not even exist yet).
            throw RegistryFailureException.UploadUnknown(id);
        }

        Forget(id);
        File.Delete(staging.UploadPathOf(id));
        await chunks.DeleteAsync(id, CancellationToken.None);
    }

    /// <summary>True when <paramref name="id"/> could name a session (anything else is unknown, never a path).</summary>
    public static bool IsSessionId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private static string CheckedId(string id) => IsSessionId(id) ? id : throw RegistryFailureException.UploadUnknown(id);

    private async Task<BlobHashes> AppendCoreAsync(
        RepositoryName repository, string id, long? start, long? expectedLength, Stream body, bool finishing, CancellationToken cancellationToken)
    {
        await using var session = await sessions.LockAsync(repository, CheckedId(id), cancellationToken)
            ?? throw RegistryFailureException.UploadUnknown(id);
        var received = session.Received;
        if (start is { } from && from != received)
        {
            throw RegistryFailureException.UploadOutOfOrder(received, $"the chunk starts at byte {from}, but the upload has {received} bytes: send from byte {received}");
        }

        var path = staging.UploadPathOf(id);
        await CatchUpAsync(id, path, received, cancellationToken);
        var hasher = await HasherAtAsync(id, path, received, cancellationToken);
        try
        {
            await using var file = OpenPartial(id, path, received);
            // Bytes past bytes_received are a chunk that failed halfway: cut off. Never extended: a file shorter than
            // the session says would be padded with zeros that the hashes never saw.
            file.SetLength(received);
            file.Position = received;
            var written = await ReceiveAsync(body, file, hasher.Hasher, cancellationToken);
            if (expectedLength is { } length && length != written)
            {
                throw RegistryFailureException.SizeInvalid($"the chunk has {written} bytes, but its Content-Range says {length}");
            }

            if (finishing)
            {
                // On disk before the 201: a blob the client was told is stored survives a power loss. Once per
                // blob, for every chunk it came in; the rename into place and the package_blob row follow.
                file.Flush(flushToDisk: true);
            }

            if (written > 0 && chunks.KeepsChunks)
            {
                // Kept before the row counts it: a chunk acknowledged is in the bucket, whatever becomes of this node.
                await file.FlushAsync(cancellationToken);
                await chunks.SaveAsync(id, received, path, written, cancellationToken);
            }

            // An empty chunk (the usual PUT that finishes a session) changed nothing: the row's lock is released
            // without a commit, which would cost a flush of PostgreSQL's log for nothing.
            if (written > 0)
            {
                await session.CommitAsync(received + written, cancellationToken);
            }
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

    /// <summary>
    /// Streams <paramref name="body"/> to <paramref name="file"/> and through the hashes in pieces of
    /// <see cref="PieceSize"/> from the shared pool: while one piece is written and hashed (in two lanes on the
    /// thread pool), the next is received. Returns the bytes received.
    /// </summary>
    private static async Task<long> ReceiveAsync(Stream body, FileStream file, BlobHasher hasher, CancellationToken cancellationToken)
    {
        var receiving = ArrayPool<byte>.Shared.Rent(PieceSize);
        var storing = ArrayPool<byte>.Shared.Rent(PieceSize);
        var stored = Task.CompletedTask;
        var received = 0L;
        try
        {
            while (true)
            {
                var read = await body.ReadAtLeastAsync(receiving.AsMemory(0, PieceSize), PieceSize, throwOnEndOfStream: false, cancellationToken);
                await stored;
                if (read == 0)
                {
                    return received;
                }

                received += read;
                (receiving, storing) = (storing, receiving);
                stored = StoreAsync(storing.AsMemory(0, read), file, hasher, cancellationToken);
            }
        }
        finally
        {
            // A piece still being written or hashed holds its buffer: it goes back to the pool only after that.
            await stored.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(receiving);
            ArrayPool<byte>.Shared.Return(storing);
        }
    }

    private static Task StoreAsync(ReadOnlyMemory<byte> piece, FileStream file, BlobHasher hasher, CancellationToken cancellationToken)
        => Task.WhenAll(hasher.AppendAsync(piece), file.WriteAsync(piece, cancellationToken).AsTask());

    private static FileStream OpenPartial(string id, string path, long received)
    {
        FileStream file;
        try
        {
            // Unbuffered: every write is a whole piece.
            file = new FileStream(path, received > 0 ? FileMode.Open : FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw LostFile(id);
        }

        if (file.Length < received)
        {
            file.Dispose();
            throw LostBytes(id);
        }

        return file;
    }

    /// <summary>
    /// Brings this node's partial file up to the <paramref name="received"/> bytes the session's row counts, from the
    /// chunks kept in the bucket, when other nodes took chunks meanwhile (or this node never saw the session). Nothing
    /// to do with the folder store, whose file is the record.
    /// </summary>
    private async Task CatchUpAsync(string id, string path, long received, CancellationToken cancellationToken)
    {
        if (!chunks.KeepsChunks)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0, useAsync: true);
        if (file.Length >= received)
        {
            return;
        }

        var have = file.Length;
        file.Position = have;
        try
        {
            await chunks.CopyAsync(id, have, received, file, cancellationToken);
        }
        catch (MissingUploadChunkException)
        {
            file.SetLength(have);
            throw LostBytes(id);
        }
        catch (IOException)
        {
            // What was copied is cut off again: the file never holds bytes the hashes have not seen in order.
            file.SetLength(have);
            throw;
        }

        // The running hashes, if any, are of fewer bytes: rebuilt from the file.
        Forget(id);
    }

    private static RegistryFailureException LostFile(string id)
        => RegistryFailureException.UploadInvalid($"upload {id} lost the bytes it had received; start the upload again");

    private static RegistryFailureException LostBytes(string id)
        => RegistryFailureException.UploadInvalid($"upload {id} lost bytes it had received; start the upload again");

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
            try
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, BufferSize, useAsync: true);
                if (file.Length < received)
                {
                    throw LostBytes(id);
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
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or RegistryFailureException)
            {
                running.Hasher.Dispose();
                throw e as RegistryFailureException ?? LostFile(id);
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
