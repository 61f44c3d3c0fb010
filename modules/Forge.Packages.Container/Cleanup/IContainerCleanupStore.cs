namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// What the dangling image cleanup reads and deletes in the shared schema. A run holds a deployment-wide
/// lock for its whole life (rule 9); each batch is one transaction (rule 6).
/// </summary>
public interface IContainerCleanupStore
{
    /// <summary>Starts a run, or returns null when another run (any node, CLI or cron) holds the lock.</summary>
    Task<IContainerCleanupRun?> TryStartRunAsync(CancellationToken cancellationToken);
}

/// <summary>A run that holds the cleanup lock until disposed.</summary>
public interface IContainerCleanupRun : IAsyncDisposable
{
    /// <summary>
    /// Every container version, without any age filter (rule 1), in chunks of whole packages (references
    /// resolve within a package, so a chunk plans on its own), with the versions'
    /// <c>container.manifest.reference</c> properties. A version whose metadata text cannot name a digest
    /// (see <see cref="InventoryChunk"/>) may come without it.
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
    Task<IContainerCleanupBatch> BeginBatchAsync(IReadOnlyList<long> versionIds, bool delete, CancellationToken cancellationToken);
}

/// <summary>The transaction of one batch; disposed without <see cref="CommitAsync"/>, it rolls back.</summary>
public interface IContainerCleanupBatch : IAsyncDisposable
{
    /// <summary>
    /// The batch's versions that still existed, locked (deleted, when the batch deletes), as they were
    /// when locked: a version pushed again since the inventory may have become young, and must then be kept.
    /// </summary>
    IReadOnlyList<LockedVersion> Present { get; }

    /// <summary>What a deleting batch deleted (nothing is final before <see cref="CommitAsync"/>).</summary>
    DeletionCounts Deleted { get; }

    /// <summary>
    /// With a fresh snapshot, the versions of the targets' packages that may reference a target now: every
    /// version that is not in <paramref name="known"/> with the same revision (pushed or changed since the
    /// inventory), with its metadata, and every version that has reference properties, with them (its
    /// metadata only when changed: the inventory already read it). A superset of the new referrers; the
    /// caller decides with the same parser as the inventory.
    /// </summary>
    /// <param name="targets">The candidates about to be deleted.</param>
    /// <param name="known">Every version of the targets' packages as the inventory read it: id and revision.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> FindPossibleReferrersAsync(
        IReadOnlyCollection<(long PackageId, string Digest)> targets, IReadOnlyDictionary<long, uint> known, CancellationToken cancellationToken);

    /// <summary>Counts what deleting these versions would delete, deleting nothing (a dry run).</summary>
    Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
