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
    /// Opens the transaction of one batch and locks the candidates still present against concurrent
    /// referrers (<c>FOR UPDATE</c>, which waits for and then blocks a writer's <c>FOR KEY SHARE</c>). A dry
    /// run locks too, so that it sees what a real run at the same instant would; it is rolled back.
    /// </summary>
    Task<IContainerCleanupBatch> BeginBatchAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);
}

/// <summary>The transaction of one batch; disposed without <see cref="CommitAsync"/>, it rolls back.</summary>
public interface IContainerCleanupBatch : IAsyncDisposable
{
    /// <summary>
    /// The batch's versions that still exist, locked, as they are now: a version pushed again since the
    /// inventory may have become young, and must then be kept.
    /// </summary>
    IReadOnlyList<LockedVersion> Present { get; }

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

    /// <summary>Deletes the versions with their files, file properties and version properties (rule 5).</summary>
    Task<DeletionCounts> DeleteAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);

    /// <summary>Counts what <see cref="DeleteAsync"/> would delete, deleting nothing.</summary>
    Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
