namespace Forge.Packages.Container.Cleanup;

/// <summary>The transaction of one batch; disposed without <see cref="CommitAsync"/>, it rolls back.</summary>
public interface IDanglingImageBatch : IAsyncDisposable
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

    /// <summary>
    /// With a fresh snapshot, the versions of these packages (not internal) whose manifest has one of these digests: a
    /// digest version of that name (in any letter case), or a version whose <c>manifest.json</c> has it. The caller
    /// pairs them with its candidates by package and digest.
    /// </summary>
    /// <param name="subjects">The packages and subject digests (lower case) of the candidates that are referrers.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<IReadOnlyList<SubjectHolder>> FindSubjectHoldersAsync(IReadOnlyCollection<(long PackageId, string Digest)> subjects, CancellationToken cancellationToken);

    /// <summary>Counts what deleting these versions would delete, deleting nothing (a dry run).</summary>
    Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
