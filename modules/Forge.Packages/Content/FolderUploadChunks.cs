using System.Runtime.CompilerServices;

namespace Forge.Packages.Content;

/// <summary>
/// With the folder store, chunks are kept nowhere but in the folder's <c>uploads/&lt;id&gt;</c> file: nodes that are to
/// continue each other's upload sessions share the folder.
/// </summary>
public sealed class FolderUploadChunks : IUploadChunkStore
{
    public bool KeepsChunks => false;

    public Task SaveAsync(string uploadId, long offset, string path, long length, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CopyAsync(string uploadId, long from, long to, Stream destination, CancellationToken cancellationToken)
        => from == to ? Task.CompletedTask : throw new MissingUploadChunkException($"upload {uploadId} has no chunks kept beyond its file");

    public Task DeleteAsync(string uploadId, CancellationToken cancellationToken) => Task.CompletedTask;

    public async IAsyncEnumerable<(string UploadId, DateTimeOffset LastWritten)> EnumerateSessionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }
}
