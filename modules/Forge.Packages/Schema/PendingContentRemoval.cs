namespace Forge.Packages.Schema;

/// <summary>
/// Forge's own table, beside Forgejo's: a content file whose <c>package_blob</c> row the expired-data
/// cleanup deleted, queued in the same transaction and dequeued once the file is gone, so that a crash
/// between the commit and the removal leaves a note for the next run instead of a stray file.
/// </summary>
public sealed class PendingContentRemoval
{
    public string HashSha256 { get; set; } = string.Empty;
    public long QueuedUnix { get; set; }
}
