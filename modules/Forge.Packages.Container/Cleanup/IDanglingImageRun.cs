namespace Forge.Packages.Container.Cleanup;

/// <summary>A run that holds the cleanup lock until disposed.</summary>
public interface IDanglingImageRun : IAsyncDisposable
{
    /// <summary>
    /// Every container version, without any age filter (rule 1), in chunks of whole packages (references and
    /// subjects resolve within a package, so a chunk plans on its own), with the versions'
    /// <c>container.manifest.reference</c> and <c>container.manifest.subject</c> properties, and the manifest digest
    /// of every tag whose digest a subject or a cosign referrer tag of its package names. A version whose metadata
    /// text cannot name a digest (see <see cref="InventoryChunk"/>) may come without it.
    /// </summary>
    IAsyncEnumerable<InventoryChunk> ReadInventoryAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Opens the transaction of one batch. With <paramref name="delete"/>, deletes the versions still
    /// present with their files, file properties and version properties (rule 5): the deletion locks the
    /// rows, so a writer's <c>FOR KEY SHARE</c> on them waits for the batch to end, and the caller re-checks
    /// and then commits, or disposes the batch to roll the deletion back. Without it (a dry run), locks the
    /// rows (<c>FOR UPDATE</c>, the same conflict) so that it sees what a real run at that instant would;
    /// a dry run's batch is rolled back.
    /// </summary>
    Task<IDanglingImageBatch> BeginBatchAsync(IReadOnlyList<long> versionIds, bool delete, CancellationToken cancellationToken);
}
