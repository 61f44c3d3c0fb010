namespace Forge.Packages.Content;

/// <summary>
/// Where blob contents live, keyed by their lower-case SHA-256 hex: a folder of this node
/// (<see cref="FolderContentStore"/>) or an S3-compatible bucket (S3ContentStore), chosen by
/// <c>Forge:Storage:Type</c>. Both lay content out as Forgejo does, <c>&lt;h[0:2]&gt;/&lt;h[2:4]&gt;/&lt;h&gt;</c>
/// (<see cref="ContentKeys"/>). Content arrives staged in a local file (<see cref="ContentStaging"/>), already hashed,
/// and is published whole: a reader never sees part of a blob.
/// </summary>
/// <remarks>Every method throws <see cref="ArgumentException"/> for a hash that is not 64 lower-case hex digits.</remarks>
public interface IContentStore
{
    /// <summary>Where the content is, for logs and reports (never a secret): the folder, or the bucket and key prefix.</summary>
    string Description { get; }

    /// <summary>The size of the blob's content; null when the store does not have it.</summary>
    Task<long?> SizeOfAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a blob's content for reading: a seekable stream whose <see cref="Stream.Length"/> is the content's size,
    /// so that callers can serve ranges. Null when the store does not have it (removed by the expired-data cleanup
    /// since its row was read, for instance).
    /// </summary>
    Task<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Puts staged content in place under its hash, replacing what is there, and removes the staged file. A writer
    /// that records the blob in package_blob does this while it holds the blob's content lock
    /// (<see cref="BlobContentLock"/>), so that the expired-data cleanup never removes content that a row it cannot
    /// see yet is about to name.
    /// </summary>
    Task PublishAsync(StagedContent staged, CancellationToken cancellationToken);

    /// <summary>
    /// A URL the client may fetch the blob's content from directly, valid for a while, when the store serves content
    /// directly (the bucket store with <c>ServeDirect</c>); null otherwise, and then the node serves the content.
    /// </summary>
    Task<Uri?> DirectReadUrlAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>Removes a blob's content; returns the bytes freed, or null when it was not there.</summary>
    Task<long?> DeleteAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Every content object of the store, under the name it is stored by (which fsck checks is a hash), read a page
    /// at a time: what is listed is not held in memory.
    /// </summary>
    IAsyncEnumerable<StoredContent> EnumerateAsync(CancellationToken cancellationToken);
}
