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
    /// <summary>Every container version, without any age filter (rule 1), in id order.</summary>
    IAsyncEnumerable<ContainerVersionRecord> ReadVersionsAsync(CancellationToken cancellationToken);

    /// <summary>Every <c>container.manifest.reference</c> property of a container version.</summary>
    IAsyncEnumerable<ReferenceProperty> ReadReferencePropertiesAsync(CancellationToken cancellationToken);

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
    /// With a fresh snapshot: the versions of the given packages whose metadata text or reference
    /// properties mention any of the digests (case-insensitively), with those properties. A superset of
    /// the real referrers; the caller decides with the same parser as the inventory.
    /// </summary>
    Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> FindPossibleReferrersAsync(
        IReadOnlyCollection<(long PackageId, string Digest)> targets, CancellationToken cancellationToken);

    /// <summary>Deletes the versions with their files, file properties and version properties (rule 5).</summary>
    Task<DeletionCounts> DeleteAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);

    /// <summary>Counts what <see cref="DeleteAsync"/> would delete, deleting nothing.</summary>
    Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
