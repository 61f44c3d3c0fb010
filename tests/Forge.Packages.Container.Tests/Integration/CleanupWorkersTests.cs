using System.Collections.Concurrent;
using Forge.Packages.Container.Cleanup;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// Two workers over PostgreSQL, on a registry of more packages than the inventory's first chunk holds (64), so that
/// both have chunks: each batch on a connection of its own, no package in two open batches, rule 7 in every package,
/// and exactly what one worker deletes.
/// </summary>
public sealed class CleanupWorkersTests : HookedCleanupFixture
{
    private const int Repositories = 70;

    [Test]
    public async Task Two_workers_delete_batches_at_once_on_packages_of_their_own_indexes_first()
    {
        var doomed = new List<(long Outer, long Platform)>();
        var kept = new List<long>();
        for (var i = 0; i < Repositories; i++)
        {
            var repository = $"demo/app{i}";
            // An index pushed by digest that nothing lists, and its platform: both go, the index first.
            var platform = await H.PushPlatformAsync(repository, H.Old);
            var outer = await H.PushIndexAsync(repository, null, H.Old, platform);
            doomed.Add((outer.VersionId, platform.VersionId));
            // A tagged image: stays with what it lists.
            var listed = await H.PushPlatformAsync(repository, H.Old, "linux/arm64");
            kept.Add(listed.VersionId);
            kept.Add((await H.PushIndexAsync(repository, "v1", H.Old, listed)).VersionId);
        }

        var packageOf = new Dictionary<long, long>();
        foreach (var id in doomed.SelectMany(d => new[] { d.Outer, d.Platform }))
        {
            packageOf[id] = await H.PackageIdOfAsync(id);
        }

        var open = new ConcurrentDictionary<IReadOnlyList<long>, long[]>(ReferenceEqualityComparer.Instance);
        var overlaps = new ConcurrentBag<string>();
        var mostOpen = 0;
        // Until the workers have overlapped once: after that, the chunks left may all be one worker's.
        Store.AfterLock = async _ => await WaitForAnotherBatchAsync(open, () => Volatile.Read(ref mostOpen) >= 2);
        Store.BeforeLock = ids =>
        {
            var packages = ids.Select(id => packageOf[id]).Distinct().ToArray();
            foreach (var other in open.Values.Where(o => o.Intersect(packages).Any()))
            {
                overlaps.Add($"packages {string.Join(',', packages)} and {string.Join(',', other)}");
            }

            open[ids] = packages;
            InterlockedMax(ref mostOpen, open.Count);
            return Task.CompletedTask;
        };
        Store.AfterEnd = ids => open.TryRemove(ids, out _);

        var report = await H.App.Services.GetRequiredService<DanglingImageCleanup>().RunAsync(
            new DanglingImageCleanupOptions(TimeSpan.FromHours(24), BatchSize: 2, DryRun: false) { Workers = 2 }, CancellationToken.None);

        var committed = Store.CommittedBatches.SelectMany(b => b).ToList();
        var batchOf = Store.CommittedBatches.SelectMany((batch, number) => batch.Select(id => (id, number))).ToDictionary(e => e.id, e => e.number);
        Assert.Multiple(async () =>
        {
            Assert.That(mostOpen, Is.EqualTo(2), "two batches were open at once");
            Assert.That(overlaps, Is.Empty);
            Assert.That(report.DeletedVersions, Is.EqualTo(2 * Repositories));
            Assert.That(committed, Is.EquivalentTo(doomed.SelectMany(d => new[] { d.Outer, d.Platform })));
            foreach (var (outer, platform) in doomed)
            {
                Assert.That(batchOf[outer], Is.LessThanOrEqualTo(batchOf[platform]), "rule 7: the index no later than what it lists");
            }

            foreach (var id in kept)
            {
                Assert.That(await H.VersionExistsAsync(id), Is.True, $"version {id} is referenced by a tag");
            }

            Assert.That(await H.BrokenReferencesAsync(), Is.Empty);
        });
    }

    /// <summary>Holds a batch, its rows locked, until another is open too (or a few seconds have passed), so that the workers overlap.</summary>
    private static async Task WaitForAnotherBatchAsync(ConcurrentDictionary<IReadOnlyList<long>, long[]> open, Func<bool> overlapped)
    {
        var patience = DateTime.UtcNow.AddSeconds(5);
        while (open.Count < 2 && !overlapped() && DateTime.UtcNow < patience)
        {
            await Task.Delay(10);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
