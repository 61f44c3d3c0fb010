using System.Diagnostics.Metrics;
using Forge.Packages.Container.Cleanup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>One batch transaction the cleanup opened: what it asked for, and the mock that served it.</summary>
internal sealed record BatchCall(IReadOnlyList<long> Ids, Mock<IDanglingImageBatch> Batch);

/// <summary>
/// A <see cref="DanglingImageCleanup"/> over Moq'd repositories that behave like the database: the run
/// streams <see cref="Inventory"/>; a batch sees the versions not yet gone, finds possible referrers by
/// text (a superset, as the store does), and deletes on commit. Everything the cleanup asks is recorded.
/// </summary>
internal sealed class CleanupHarness : IDisposable
{
    /// <summary>What a deleting batch reports per version deleted.</summary>
    public const int FilesPerVersion = 2;

    public const int PropertiesPerVersion = 3;

    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly HashSet<long> gone = [];
    private readonly HashSet<long> repushed = [];
    private readonly List<(ContainerVersionRecord Version, IReadOnlyList<string> Properties)> laterVersions = [];
    private readonly List<TagManifest> laterManifests = [];
    private readonly Queue<Exception> deleteFailures = new();
    private readonly Queue<Exception> commitFailures = new();
    private bool holdCommitsUntilStopped;
    // Workers open batches at once: what they share is changed under this lock.
    private readonly Lock gate = new();
    private readonly List<IReadOnlyList<long>> openBatchPackages = [];
    private (int Count, TimeSpan Patience)? hold;

    public CleanupHarness()
    {
        Telemetry = new DanglingImageCleanupTelemetry(MeterFactory);
        Store.Setup(s => s.TryStartRunAsync(It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync(Run.Object);
        Run.Setup(r => r.ReadInventoryAsync(It.IsAny<CancellationToken>())).Returns(() => AsyncSequence.From(Inventory.Chunks()));
        Run.Setup(r => r.BeginBatchAsync(It.IsAny<IReadOnlyList<long>>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<long> ids, bool delete, CancellationToken _) => OpenBatch(ids, delete));
        Run.Setup(r => r.DisposeAsync()).Returns(ValueTask.CompletedTask);
    }

    public ContainerInventory Inventory { get; } = new();
    public ImageRepository Image => Inventory.Image(1);
    public Mock<IDanglingImageStore> Store { get; } = new(MockBehavior.Strict);
    public Mock<IDanglingImageRun> Run { get; } = new(MockBehavior.Strict);
    public IMeterFactory MeterFactory => services.GetRequiredService<IMeterFactory>();
    public DanglingImageCleanupTelemetry Telemetry { get; }
    public List<BatchCall> BatchCalls { get; } = [];
    public List<IReadOnlyList<long>> DeleteCalls { get; } = [];
    public List<IReadOnlyList<long>> CountCalls { get; } = [];

    /// <summary>The versions each re-check was told the inventory had read.</summary>
    public List<IReadOnlyDictionary<long, uint>> KnownAtRecheck { get; } = [];

    /// <summary>The versions deleted by committed batches, in the order they were deleted.</summary>
    public List<long> Committed { get; } = [];

    public static DeletionCounts CountsFor(int versions) => new(versions, versions * FilesPerVersion, versions * PropertiesPerVersion);

    /// <summary>Another run (another node, the CLI or cron) holds the cleanup lock.</summary>
    public void AnotherRunInProgress()
        => Store.Setup(s => s.TryStartRunAsync(It.IsAny<bool>(), It.IsAny<CancellationToken>())).ReturnsAsync((IDanglingImageRun?)null);

    /// <summary>The version was pushed again after the inventory read it: its row is young now.</summary>
    public void RepushMeanwhile(long versionId) => repushed.Add(versionId);

    /// <summary>Another run or a user deleted the version after the inventory read it.</summary>
    public void DeleteMeanwhile(long versionId) => gone.Add(versionId);

    /// <summary>A version committed after the inventory (an index pushed while the cleanup runs).</summary>
    public ContainerVersionRecord PushMeanwhile(string tag, string? metadataJson, params string[] referenceProperties)
    {
        var version = new ContainerVersionRecord(10_000 + laterVersions.Count, 1, "owner/image", tag, Now, metadataJson);
        laterVersions.Add((version, referenceProperties));
        return version;
    }

    /// <summary>A tag whose manifest has <paramref name="manifestDigest"/>, committed after the inventory (a subject pushed while the cleanup runs).</summary>
    public ContainerVersionRecord PushSubjectMeanwhile(string tag, string manifestDigest)
    {
        var version = PushMeanwhile(tag, Metadata.Image());
        laterManifests.Add(new TagManifest(version.Id, manifestDigest));
        return version;
    }

    /// <summary>The next deleting batches fail to begin with these, one each (the store rolls back).</summary>
    public void FailNextDeletes(params Exception[] failures)
    {
        foreach (var failure in failures)
        {
            deleteFailures.Enqueue(failure);
        }
    }

    /// <summary>The next commits fail with these, one each.</summary>
    public void FailNextCommits(params Exception[] failures)
    {
        foreach (var failure in failures)
        {
            commitFailures.Enqueue(failure);
        }
    }

    /// <summary>
    /// Commits that do not fail wait until the run is told to stop (by the cancellation the worker passes), then succeed:
    /// a commit still in flight when another worker fails.
    /// </summary>
    public void HoldCommitsUntilStopped() => holdCommitsUntilStopped = true;

    public DanglingImageCleanup Cleanup(TimeProvider? clock = null)
        => new(Store.Object, Telemetry, clock ?? new FixedClock(Now), NullLogger<DanglingImageCleanup>.Instance);

    /// <summary>
    /// Runs the cleanup; with one worker unless told otherwise, so that the order of batches across packages is the
    /// inventory's and tests can assert it (the tests of several workers ask for them).
    /// </summary>
    public Task<DanglingImageCleanupReport> RunAsync(
        int batchSize = 500, bool dryRun = false, TimeProvider? clock = null, TimeSpan? olderThan = null, bool removeOrphanedReferrerTags = false,
        int workers = 1)
        => Cleanup(clock).RunAsync(
            new DanglingImageCleanupOptions(olderThan ?? OlderThan, batchSize, dryRun, RemoveOrphanedReferrerTags: removeOrphanedReferrerTags)
            {
                Workers = workers,
            },
            CancellationToken.None);

    /// <summary>The most batches that were open at once.</summary>
    public int MostOpenBatches { get; private set; }

    /// <summary>
    /// Each batch, once open, waits until <paramref name="count"/> batches are open at once (or <paramref name="patience"/>
    /// has passed), so that workers that can overlap do.
    /// </summary>
    public void HoldBatchesUntilOpen(int count, TimeSpan patience) => hold = (count, patience);

    /// <summary>The packages of each batch, as it began.</summary>
    public List<IReadOnlyList<long>> BatchPackages { get; } = [];

    /// <summary>Pairs of batches that were open at once and shared a package.</summary>
    public List<(IReadOnlyList<long> First, IReadOnlyList<long> Second)> OverlappingBatchesOfOnePackage { get; } = [];

    public void Dispose() => services.Dispose();

    private async Task<IDanglingImageBatch> OpenBatch(IReadOnlyList<long> ids, bool delete)
    {
        IDanglingImageBatch opened;
        IReadOnlyList<long> packages = ids.Select(id => Inventory.Versions.Single(v => v.Id == id).PackageId).Distinct().ToList();
        lock (gate)
        {
            opened = OpenBatchLocked(ids, delete, packages, out var failure);
            if (failure is not null)
            {
                throw failure;
            }
        }

        if (hold is { } wanted)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < wanted.Patience && OpenCount() < wanted.Count)
            {
                await Task.Delay(10);
            }
        }

        return opened;
    }

    private async Task CommitAsync(List<long> pending, CancellationToken stop)
    {
        Exception? failure;
        lock (gate)
        {
            commitFailures.TryDequeue(out failure);
        }

        if (failure is not null)
        {
            throw failure;
        }

        if (holdCommitsUntilStopped)
        {
            var stopped = new TaskCompletionSource();
            await using (stop.Register(() => stopped.TrySetResult()))
            {
                await Task.WhenAny(stopped.Task, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
            }
        }

        lock (gate)
        {
            gone.UnionWith(pending);
            Committed.AddRange(pending);
        }
    }

    private int OpenCount()
    {
        lock (gate)
        {
            return openBatchPackages.Count;
        }
    }

    private IDanglingImageBatch OpenBatchLocked(IReadOnlyList<long> ids, bool delete, IReadOnlyList<long> packages, out Exception? failure)
    {
        failure = null;
        foreach (var open in openBatchPackages.Where(open => open.Intersect(packages).Any()))
        {
            OverlappingBatchesOfOnePackage.Add((open, packages));
        }

        BatchPackages.Add(packages);
        var batch = new Mock<IDanglingImageBatch>(MockBehavior.Strict);
        var pending = new List<long>();
        BatchCalls.Add(new BatchCall(ids.ToList(), batch));
        var present = ids.Where(id => !gone.Contains(id))
            .Select(id => Inventory.Versions.Single(v => v.Id == id))
            .Select(v => new LockedVersion(v.Id, v.LowerVersion, repushed.Contains(v.Id) ? Now : v.CreatedUnix))
            .ToList();
        if (delete)
        {
            // Like the store: the batch deletes what is present right away, final only on commit.
            DeleteCalls.Add(present.Select(v => v.Id).ToList());
            if (deleteFailures.TryDequeue(out failure))
            {
                return batch.Object;
            }

            pending.AddRange(present.Select(v => v.Id));
        }

        batch.Setup(b => b.Present).Returns(present);
        batch.Setup(b => b.Deleted).Returns(delete ? CountsFor(present.Count) : default);
        batch.Setup(b => b.FindPossibleReferrersAsync(It.IsAny<IReadOnlyCollection<(long, string)>>(), It.IsAny<IReadOnlyDictionary<long, uint>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyCollection<(long PackageId, string Digest)> targets, IReadOnlyDictionary<long, uint> known, CancellationToken _) =>
            {
                lock (gate)
                {
                    KnownAtRecheck.Add(known);
                    return PossibleReferrers(targets);
                }
            });
        batch.Setup(b => b.FindSubjectHoldersAsync(It.IsAny<IReadOnlyCollection<(long, string)>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyCollection<(long PackageId, string Digest)> subjects, CancellationToken _) =>
            {
                lock (gate)
                {
                    return SubjectHolders(subjects);
                }
            });
        batch.Setup(b => b.CountAsync(It.IsAny<IReadOnlyList<long>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<long> versionIds, CancellationToken _) =>
            {
                lock (gate)
                {
                    CountCalls.Add(versionIds.ToList());
                }

                return Task.FromResult(CountsFor(versionIds.Count));
            });
        batch.Setup(b => b.CommitAsync(It.IsAny<CancellationToken>())).Returns((CancellationToken stop) => CommitAsync(pending, stop));
        batch.Setup(b => b.DisposeAsync()).Callback(() =>
            {
                lock (gate)
                {
                    openBatchPackages.Remove(packages);
                }
            }).Returns(ValueTask.CompletedTask);
        openBatchPackages.Add(packages);
        MostOpenBatches = Math.Max(MostOpenBatches, openBatchPackages.Count);
        return batch.Object;
    }

    /// <summary>Like the store: the versions still there, and those pushed since, whose name or manifest has one of the digests.</summary>
    private Task<IReadOnlyList<SubjectHolder>> SubjectHolders(IReadOnlyCollection<(long PackageId, string Digest)> subjects)
    {
        var versions = Inventory.Versions.Where(v => !gone.Contains(v.Id)).Concat(laterVersions.Select(l => l.Version)).ToList();
        var manifests = Inventory.TagManifests.Concat(laterManifests).Where(m => !gone.Contains(m.VersionId)).ToList();
        IReadOnlyList<SubjectHolder> holders = versions
            .Select(v => (Version: v, Digest: v.LowerVersion.ToLowerInvariant()))
            .Concat(manifests.Select(m => (Version: versions.Single(v => v.Id == m.VersionId), Digest: m.Digest.ToLowerInvariant())))
            .Where(h => subjects.Contains((h.Version.PackageId, h.Digest)))
            .Select(h => new SubjectHolder(h.Version.Id, h.Version.PackageId, h.Digest, repushed.Contains(h.Version.Id) ? Now : h.Version.CreatedUnix))
            .ToList();
        return Task.FromResult(holders);
    }

    /// <summary>Like the store: every version of the targets' packages whose text or reference properties mention a target digest.</summary>
    private Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> PossibleReferrers(
        IReadOnlyCollection<(long PackageId, string Digest)> targets)
    {
        var existing = Inventory.Versions
            .Where(v => !gone.Contains(v.Id))
            .Select(v => (Version: v, Properties: (IReadOnlyList<string>)Inventory.Properties.Where(p => p.VersionId == v.Id).Select(p => p.Digest).ToList()));
        IReadOnlyList<(ContainerVersionRecord, IReadOnlyList<string>)> referrers = existing.Concat(laterVersions)
            .Where(v => targets.Any(t => t.PackageId == v.Version.PackageId &&
                                         ((v.Version.MetadataJson ?? "").Contains(t.Digest, StringComparison.OrdinalIgnoreCase) ||
                                          v.Properties.Any(p => string.Equals(p, t.Digest, StringComparison.OrdinalIgnoreCase)))))
            .ToList();
        return Task.FromResult(referrers);
    }
}
