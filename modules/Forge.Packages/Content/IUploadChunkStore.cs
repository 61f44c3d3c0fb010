namespace Forge.Packages.Content;

/// <summary>
/// Where the chunks of a registry upload session are kept beyond the node that received them, so that the next chunk,
/// or the request that finishes the session, may land on any node: nowhere with the folder store (its <c>uploads/</c>
/// folder is the record, shared by nodes that share the folder), the bucket with the S3 store. A node keeps the
/// session's bytes in its own <c>uploads/&lt;id&gt;</c> file too, and fills that file from here when another node
/// took chunks meanwhile.
/// </summary>
public interface IUploadChunkStore
{
    /// <summary>Whether chunks are kept here at all (false for the folder store).</summary>
    bool KeepsChunks { get; }

    /// <summary>
    /// Keeps the bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of the local
    /// file <paramref name="path"/> as the session's chunk that starts at <paramref name="offset"/>, replacing a chunk
    /// that started there before (a chunk that failed after it was kept). Done before the session's row says it has them.
    /// </summary>
    Task SaveAsync(string uploadId, long offset, string path, long length, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the session's bytes [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="destination"/>, from
    /// the chunks kept; throws <see cref="MissingUploadChunkException"/> when they do not cover that range, and
    /// <see cref="IOException"/> when they cannot be read.
    /// </summary>
    Task CopyAsync(string uploadId, long from, long to, Stream destination, CancellationToken cancellationToken);

    /// <summary>Removes every chunk of the session (none is fine).</summary>
    Task DeleteAsync(string uploadId, CancellationToken cancellationToken);

    /// <summary>The sessions that have chunks kept here, and when each was last written to: for the expired-data cleanup.</summary>
    IAsyncEnumerable<(string UploadId, DateTimeOffset LastWritten)> EnumerateSessionsAsync(CancellationToken cancellationToken);
}
