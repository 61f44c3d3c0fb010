using System.Globalization;
using System.Runtime.CompilerServices;
using Amazon.S3.Model;

namespace Forge.Packages.Content;

/// <summary>
/// Upload session chunks in the S3 store's bucket, one object a chunk at
/// <c>&lt;prefix&gt;uploads/&lt;session id&gt;/&lt;start offset, 20 digits&gt;</c> (outside the blobs' <c>xx/yy/</c> keys,
/// so neither fsck nor a Forgejo reading the bucket takes them for content). A session's bytes are the chain of chunks
/// from offset 0, each starting where the one before ended: a chunk saved again at the same offset (after a request that
/// failed once its chunk was kept) replaces the one before, so nothing outside the chain is read.
/// </summary>
public sealed class S3UploadChunks(S3ContentStore store) : IUploadChunkStore
{
    private const string Folder = "uploads/";

    public bool KeepsChunks => true;

    public Task SaveAsync(string uploadId, long offset, string path, long length, CancellationToken cancellationToken)
        => store.UploadAsync(KeyOf(uploadId, offset), path, offset, length, cancellationToken);

    public async Task CopyAsync(string uploadId, long from, long to, Stream destination, CancellationToken cancellationToken)
    {
        var chunks = await ChunksAsync(uploadId, cancellationToken);
        // Walk the chain from 0 to the first chunk that reaches past 'from', then copy on to 'to'.
        for (var position = 0L; position < to;)
        {
            if (!chunks.TryGetValue(position, out var size) || size == 0)
            {
                throw new MissingUploadChunkException($"upload {uploadId} has no chunk kept from byte {position} of {to} in {store.Description}");
            }

            var end = position + size;
            if (end > from)
            {
                var start = Math.Max(position, from);
                await store.CopyRangeAsync(KeyOf(uploadId, position), start - position, Math.Min(end, to) - position, destination, cancellationToken);
            }

            position = end;
        }
    }

    public async Task DeleteAsync(string uploadId, CancellationToken cancellationToken)
    {
        foreach (var offset in (await ChunksAsync(uploadId, cancellationToken)).Keys)
        {
            var key = KeyOf(uploadId, offset);
            await store.CallAsync($"delete of {key}", () => store.Client.DeleteObjectAsync(store.Settings.Bucket, key, cancellationToken));
        }
    }

    /// <summary>Listed page by page in key order, so that a session's chunks come together.</summary>
    public async IAsyncEnumerable<(string UploadId, DateTimeOffset LastWritten)> EnumerateSessionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = store.Settings.KeyPrefix + Folder;
        (string Id, DateTimeOffset Last)? current = null;
        await foreach (var stored in ListAsync(prefix, cancellationToken))
        {
            var id = stored.Key[prefix.Length..].Split('/')[0];
            var written = new DateTimeOffset(stored.LastModified ?? DateTime.UnixEpoch, TimeSpan.Zero);
            if (current is { } same && same.Id == id)
            {
                current = (id, written > same.Last ? written : same.Last);
                continue;
            }

            if (current is { } done)
            {
                yield return done;
            }

            current = (id, written);
        }

        if (current is { } last)
        {
            yield return last;
        }
    }

    /// <summary>The session's chunks by start offset, with their sizes.</summary>
    private async Task<Dictionary<long, long>> ChunksAsync(string uploadId, CancellationToken cancellationToken)
    {
        var prefix = KeyOf(uploadId, null);
        var chunks = new Dictionary<long, long>();
        await foreach (var stored in ListAsync(prefix, cancellationToken))
        {
            if (long.TryParse(stored.Key[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                chunks[offset] = stored.Size ?? 0;
            }
        }

        return chunks;
    }

    private async IAsyncEnumerable<S3Object> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = store.Settings.Bucket, Prefix = prefix, ContinuationToken = continuation };
            var page = await store.CallAsync($"listing of '{prefix}'", () => store.Client.ListObjectsV2Async(request, cancellationToken));
            foreach (var stored in page.S3Objects ?? [])
            {
                yield return stored;
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    /// <summary>A chunk's key, or with no offset the prefix of the session's chunks; the id is checked as a file name would be.</summary>
    private string KeyOf(string uploadId, long? offset)
    {
        if (!ContentKeys.IsUploadId(uploadId))
        {
            throw new ArgumentException($"'{uploadId}' is not an upload id (letters, digits, '-' and '_').", nameof(uploadId));
        }

        return $"{store.Settings.KeyPrefix}{Folder}{uploadId}/{offset?.ToString("D20", CultureInfo.InvariantCulture)}";
    }
}
