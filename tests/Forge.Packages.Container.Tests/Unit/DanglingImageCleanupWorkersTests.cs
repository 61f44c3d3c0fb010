using Forge.Packages.Container.Cleanup;
using Moq;
using Npgsql;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;
using static Forge.Packages.Container.Tests.Unit.Digests;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>
/// Several workers delete batches at once, each on chunks of its own (the harness reads one chunk per package): what they
/// delete is what one worker deletes, a package is never in two open batches, and rule 7's order holds in every package.
/// </summary>
public sealed class DanglingImageCleanupWorkersTests : CleanupFixture
{
    private const int Packages = 6;

    [Test]
    public async Task Two_workers_delete_what_one_deletes_with_no_package_in_two_open_batches_and_referrers_first()
    {
        var nested = Enumerable.Range(1, Packages).Select(UnreachableNestedIndex).ToList();
        Harness.HoldBatchesUntilOpen(2, TimeSpan.FromSeconds(10));

        var report = await Harness.RunAsync(batchSize: 1, workers: 2);

        Assert.Multiple(() =>
        {
            Assert.That(Harness.MostOpenBatches, Is.EqualTo(2), "the two workers overlapped");
            Assert.That(Harness.OverlappingBatchesOfOnePackage, Is.Empty);
            Assert.That(Harness.Committed, Is.EquivalentTo(nested.SelectMany(n => new[] { n.Outer, n.Inner, n.Platform })));
            Assert.That(report.DeletedVersions, Is.EqualTo(3 * Packages));
            Assert.That(report.Batches, Is.EqualTo(3 * Packages));
            foreach (var (outer, inner, platform) in nested)
            {
                // Rule 7: an index goes no later than what it lists, in every package, whichever worker had it.
                Assert.That(Harness.Committed.IndexOf(outer), Is.LessThan(Harness.Committed.IndexOf(inner)));
                Assert.That(Harness.Committed.IndexOf(inner), Is.LessThan(Harness.Committed.IndexOf(platform)));
            }
        });
    }

    [Test]
    public async Task A_dry_run_with_two_workers_reports_what_one_worker_reports()
    {
        for (var package = 1; package <= Packages; package++)
        {
            var image = Harness.Inventory.Image(package, $"owner/image{package}");
            image.Manifest(Of($"orphan {package}"), Old);
            image.Tag("latest", Old, image.PackageId % 2 == 0 ? [] : [Of($"kept {package}")]);
            image.Manifest(Of($"kept {package}"), Old);
            image.Manifest(Of($"young {package}"), Now);
        }

        var one = await Harness.RunAsync(batchSize: 2, dryRun: true, workers: 1);
        var two = await Harness.RunAsync(batchSize: 2, dryRun: true, workers: 2);

        Assert.That(two.Candidates.Select(c => (c.VersionId, c.Decision)), Is.EqualTo(one.Candidates.Select(c => (c.VersionId, c.Decision))));
        Assert.That((two.DeletedVersions, two.DeletedFiles, two.DeletedProperties, two.UnreferencedVersions, two.TooYoungVersions),
            Is.EqualTo((one.DeletedVersions, one.DeletedFiles, one.DeletedProperties, one.UnreferencedVersions, one.TooYoungVersions)));
        Assert.That(one.DeletedVersions, Is.EqualTo(Packages + (Packages / 2)));
    }

    [Test]
    public void A_failing_batch_of_one_worker_fails_the_run_with_its_error_and_stops_the_other()
    {
        for (var package = 1; package <= 20; package++)
        {
            Harness.Inventory.Image(package, $"owner/image{package}").Manifest(Of($"orphan {package}"), Old);
        }

        Harness.FailNextDeletes(new PostgresException("disk full", "ERROR", "ERROR", PostgresErrorCodes.DiskFull));

        Assert.That(async () => await Harness.RunAsync(batchSize: 1, workers: 2),
            Throws.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.DiskFull));
        // The other worker may have had one batch under way; it begins no more once the run has failed.
        Assert.That(Harness.BatchCalls, Has.Count.LessThanOrEqualTo(3));
    }

    [Test]
    public void A_worker_whose_batch_was_in_flight_when_another_failed_begins_no_other()
    {
        // Several batches in each package, so that a worker has more of its chunk left after the batch in flight.
        for (var package = 1; package <= 20; package++)
        {
            var image = Harness.Inventory.Image(package, $"owner/image{package}");
            for (var orphan = 1; orphan <= 5; orphan++)
            {
                image.Manifest(Of($"orphan {package}.{orphan}"), Old);
            }
        }

        // Both workers have a batch open; the first to commit fails, the other's commit ends only once the run is stopping.
        Harness.HoldBatchesUntilOpen(2, TimeSpan.FromSeconds(10));
        Harness.HoldCommitsUntilStopped();
        Harness.FailNextCommits(new PostgresException("disk full", "ERROR", "ERROR", PostgresErrorCodes.DiskFull));

        Assert.That(async () => await Harness.RunAsync(batchSize: 1, workers: 2),
            Throws.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.DiskFull));
        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(2), "the other worker began a batch after the run had failed");
        Assert.That(Harness.Committed, Has.Count.EqualTo(1), "the batch in flight finishes");
    }

    [TestCase(0)]
    [TestCase(DanglingImageCleanupOptions.MaxWorkers + 1)]
    public void A_number_of_workers_out_of_range_is_refused_before_anything_is_read(int workers)
    {
        Assert.That(async () => await Harness.RunAsync(workers: workers),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains($"Workers must be 1 to {DanglingImageCleanupOptions.MaxWorkers}"));
        Harness.Store.Verify(s => s.TryStartRunAsync(It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    private (long Outer, long Inner, long Platform) UnreachableNestedIndex(int package)
    {
        var image = Harness.Inventory.Image(package, $"owner/image{package}");
        var platform = image.Manifest(Of($"platform {package}"), Old);
        var inner = image.Index(Of($"inner {package}"), Old, Of($"platform {package}"));
        var outer = image.Index(Of($"outer {package}"), Old, Of($"inner {package}"));
        return (outer, inner, platform);
    }
}
