using Forge.Packages.Container.Cleanup;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// The real store with hooks around each batch, to act at the exact moments a race or a crash would:
/// before a batch locks its rows, after it has locked them, and after it has committed.
/// </summary>
public sealed class HookedStore(IDanglingImageStore inner) : IDanglingImageStore
{
    public Func<IReadOnlyList<long>, Task>? BeforeLock { get; set; }
    public Func<IReadOnlyList<long>, Task>? AfterLock { get; set; }
    public Func<int, Task>? AfterCommit { get; set; }

    /// <summary>Called with a batch's version ids once its transaction has ended (committed or rolled back).</summary>
    public Action<IReadOnlyList<long>>? AfterEnd { get; set; }

    /// <summary>The version ids of each committed batch, in order.</summary>
    public List<IReadOnlyList<long>> CommittedBatches { get; } = [];

    public async Task<IDanglingImageRun?> TryStartRunAsync(bool waitForLock, CancellationToken cancellationToken)
        => await inner.TryStartRunAsync(waitForLock, cancellationToken) is { } run ? new Run(run, this) : null;

    private sealed class Run(IDanglingImageRun inner, HookedStore hooks) : IDanglingImageRun
    {
        public IAsyncEnumerable<InventoryChunk> ReadInventoryAsync(CancellationToken cancellationToken) => inner.ReadInventoryAsync(cancellationToken);

        public async Task<IDanglingImageBatch> BeginBatchAsync(IReadOnlyList<long> versionIds, bool delete, CancellationToken cancellationToken)
        {
            if (hooks.BeforeLock is { } before)
            {
                await before(versionIds);
            }

            var batch = await inner.BeginBatchAsync(versionIds, delete, cancellationToken);
            if (hooks.AfterLock is { } after)
            {
                await after(batch.Present.Select(v => v.Id).ToList());
            }

            return new Batch(batch, hooks, delete, versionIds);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class Batch(IDanglingImageBatch inner, HookedStore hooks, bool delete, IReadOnlyList<long> versionIds) : IDanglingImageBatch
    {
        public IReadOnlyList<LockedVersion> Present => inner.Present;

        public DeletionCounts Deleted => inner.Deleted;

        public Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> FindPossibleReferrersAsync(
            IReadOnlyCollection<(long PackageId, string Digest)> targets, IReadOnlyDictionary<long, uint> known, CancellationToken cancellationToken)
            => inner.FindPossibleReferrersAsync(targets, known, cancellationToken);

        public Task<IReadOnlyList<SubjectHolder>> FindSubjectHoldersAsync(
            IReadOnlyCollection<(long PackageId, string Digest)> subjects, CancellationToken cancellationToken)
            => inner.FindSubjectHoldersAsync(subjects, cancellationToken);

        public Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken) => inner.CountAsync(versionIds, cancellationToken);

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await inner.CommitAsync(cancellationToken);
            int committed;
            // The cleanup's workers commit batches at once.
            lock (hooks.CommittedBatches)
            {
                hooks.CommittedBatches.Add(delete ? inner.Present.Select(v => v.Id).ToList() : []);
                committed = hooks.CommittedBatches.Count;
            }

            if (hooks.AfterCommit is { } after)
            {
                await after(committed);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            hooks.AfterEnd?.Invoke(versionIds);
        }
    }
}
