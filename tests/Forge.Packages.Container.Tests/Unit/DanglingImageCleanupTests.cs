using Forge.Packages.Container.Cleanup;
using Moq;
using Npgsql;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;
using static Forge.Packages.Container.Tests.Unit.Digests;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>How the cleanup service runs a plan against its repositories: lock, batches, re-check, dry run, retries.</summary>
public sealed class DanglingImageCleanupTests : CleanupFixture
{
    [Test]
    public async Task A_run_that_finds_another_run_in_progress_reports_it_was_skipped()
    {
        Harness.Image.Manifest(Amd64, Old);
        Harness.AnotherRunInProgress();

        var report = await Harness.RunAsync();

        Assert.That(report.Skipped, Is.True);
        Assert.That(report.DeletedVersions, Is.Zero);
    }

    [Test]
    public async Task A_skipped_run_reads_and_deletes_nothing()
    {
        Harness.Image.Manifest(Amd64, Old);
        Harness.AnotherRunInProgress();

        await Harness.RunAsync();

        Harness.Store.Verify(s => s.TryStartRunAsync(It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Once);
        Harness.Store.VerifyNoOtherCalls();
        Harness.Run.VerifyNoOtherCalls();
    }

    [Test]
    public async Task Batches_of_one_are_begun_one_version_at_a_time_referrers_first()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.BatchCalls.Select(c => c.Ids), Is.EqualTo(new[] { new[] { outer }, new[] { inner }, new[] { platform } }));
    }

    [Test]
    public async Task Batches_of_two_are_begun_with_two_versions_referrers_first()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 2);

        Assert.That(Harness.BatchCalls.Select(c => c.Ids), Is.EqualTo(new[] { new[] { outer, inner }, new[] { platform } }));
    }

    [Test]
    public async Task Batches_fill_up_across_packages_and_inventory_chunks()
    {
        // The harness reads one chunk per package: a batch takes units from several.
        var orphans = new List<long>();
        for (var package = 1; package <= 3; package++)
        {
            var image = Harness.Inventory.Image(package, $"owner/image{package}");
            orphans.Add(image.Manifest(Of($"{package}-a"), Old));
            orphans.Add(image.Manifest(Of($"{package}-b"), Old));
        }

        await Harness.RunAsync(batchSize: 4);

        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(2));
        Assert.That(Harness.BatchCalls[0].Ids, Is.EquivalentTo(orphans[..4]));
        Assert.That(Harness.BatchCalls[1].Ids, Is.EquivalentTo(orphans[4..]));
    }

    [Test]
    public async Task The_recheck_is_told_every_version_of_the_batchs_packages_as_the_inventory_read_them()
    {
        var first = Harness.Inventory.Image(1, "owner/one");
        var second = Harness.Inventory.Image(2, "owner/two");
        var third = Harness.Inventory.Image(3, "owner/three");
        var ids = new[]
        {
            first.Manifest(Amd64, Old), first.Tag("v1", Old), second.Manifest(Arm64, Old), second.Tag("v1", Old),
        };
        third.Tag("v1", Old);

        await Harness.RunAsync();

        Assert.That(Harness.KnownAtRecheck.Single().Keys, Is.EquivalentTo(ids));
    }

    [Test]
    public async Task The_report_lists_the_candidates_asked_for_and_counts_them_all()
    {
        var orphans = Enumerable.Range(0, 5).Select(i => Harness.Image.Manifest(Of($"orphan {i}"), Old)).ToList();

        var report = await Harness.Cleanup().RunAsync(new DanglingImageCleanupOptions(OlderThan, 500, DryRun: false, ListedCandidates: 2), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.Candidates.Select(c => c.VersionId), Is.EqualTo(orphans[..2]));
            Assert.That(report.UnreferencedVersions, Is.EqualTo(5));
            Assert.That(report.DeletedVersions, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task Versions_are_deleted_referrers_first()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.Committed, Is.EqualTo(new[] { outer, inner, platform }));
    }

    [Test]
    public async Task A_real_run_deletes_only_the_doomed_versions()
    {
        var doomed = Harness.Image.Manifest(Amd64, Old);
        Harness.Image.Manifest(Arm64, Old);
        Harness.Image.Tag("v1", Old, Arm64);
        Harness.Image.Manifest(Digests.Of("young"), Young);

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.EqualTo(new[] { doomed }));
    }

    [Test]
    public async Task A_real_run_commits_every_batch_once()
    {
        UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(3));
        foreach (var call in Harness.BatchCalls)
        {
            call.Batch.Verify(b => b.CommitAsync(It.IsAny<CancellationToken>()), Times.Once);
        }
    }

    [Test]
    public async Task A_real_run_reports_what_it_deleted()
    {
        UnreachableNestedIndex();

        var report = await Harness.RunAsync(batchSize: 2);

        Assert.That(report.DeletedVersions, Is.EqualTo(3));
        Assert.That(report.DeletedFiles, Is.EqualTo(3 * CleanupHarness.FilesPerVersion));
        Assert.That(report.DeletedProperties, Is.EqualTo(3 * CleanupHarness.PropertiesPerVersion));
        Assert.That(report.Batches, Is.EqualTo(2));
    }

    [Test]
    public async Task The_report_counts_scanned_digest_unreferenced_and_too_young_versions()
    {
        Harness.Image.Tag("v1", Old, Arm64);
        Harness.Image.Manifest(Arm64, Old);
        Harness.Image.Manifest(Amd64, Old);
        Harness.Image.Manifest(Digests.Of("young"), Young);

        var report = await Harness.RunAsync();

        Assert.That(report.ScannedVersions, Is.EqualTo(4));
        Assert.That(report.DigestVersions, Is.EqualTo(3));
        Assert.That(report.UnreferencedVersions, Is.EqualTo(2));
        Assert.That(report.TooYoungVersions, Is.EqualTo(1));
    }

    [Test]
    public async Task The_report_names_the_versions_with_malformed_metadata()
    {
        var damaged = Harness.Image.Version("v1", Old, """{"manifests":[{"digest":""");

        var report = await Harness.RunAsync();

        Assert.That(report.MalformedVersionIds, Is.EqualTo(new[] { damaged }));
    }

    [Test]
    public async Task A_candidate_that_gained_a_referrer_outside_the_doomed_set_is_not_deleted()
    {
        var platform = Harness.Image.Manifest(Amd64, Old);
        var orphan = Harness.Image.Manifest(Arm64, Old);
        Harness.PushMeanwhile("v2", Metadata.Index(Amd64));

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Does.Not.Contain(platform));
        Assert.That(Harness.Committed, Is.EqualTo(new[] { orphan }));
    }

    [Test]
    public async Task A_candidate_that_gained_a_referrer_is_reported_spared()
    {
        var platform = Harness.Image.Manifest(Amd64, Old);
        Harness.PushMeanwhile("v2", Metadata.Index(Amd64));

        var report = await Harness.RunAsync();

        Assert.That(report.Candidates.Single(c => c.VersionId == platform).Decision, Is.EqualTo(DanglingImageDecision.Spared));
        Assert.That(report.SparedVersions, Is.EqualTo(1));
        Assert.That(report.DeletedVersions, Is.Zero);
    }

    [Test]
    public async Task A_candidate_that_gained_a_reference_property_is_spared()
    {
        var platform = Harness.Image.Manifest(Amd64, Old);
        Harness.PushMeanwhile("v2", Metadata.Image(), Amd64.ToUpperInvariant());

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Does.Not.Contain(platform));
    }

    [Test]
    public async Task Sparing_an_index_spares_the_doomed_versions_it_references_in_later_batches()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();
        Harness.PushMeanwhile("v2", Metadata.Index(OuterIndex));

        var report = await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(report.Candidates.Where(c => c.Decision == DanglingImageDecision.Spared).Select(c => c.VersionId),
            Is.EquivalentTo(new[] { outer, inner, platform }));
        Assert.That(report.SparedVersions, Is.EqualTo(3));
    }

    [Test]
    public async Task Sparing_an_index_spares_the_doomed_versions_it_references_in_the_same_batch()
    {
        // One batch: the store also reports the doomed indexes as possible referrers of their children,
        // before the new tag, so only the cascade from the spared index keeps its children.
        UnreachableNestedIndex();
        Harness.PushMeanwhile("v2", Metadata.Index(OuterIndex));

        var report = await Harness.RunAsync(batchSize: 500);

        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(report.SparedVersions, Is.EqualTo(3));
    }

    [Test]
    public async Task Batches_left_with_nothing_doomed_after_sparing_are_not_begun()
    {
        var (outer, _, _) = UnreachableNestedIndex();
        Harness.PushMeanwhile("v2", Metadata.Index(OuterIndex));

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.BatchCalls.Select(c => c.Ids), Is.EqualTo(new[] { new[] { outer } }));
    }

    [Test]
    public async Task A_new_referrer_of_a_platform_manifest_spares_it_but_not_the_indexes_above_it()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();
        Harness.PushMeanwhile("v2", Metadata.Index(Amd64));

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.Committed, Is.EqualTo(new[] { outer, inner }), $"{platform} is spared");
    }

    [Test]
    public async Task A_referrer_that_is_itself_doomed_does_not_spare()
    {
        // One batch: the store reports the doomed indexes as possible referrers of their children.
        var (outer, inner, platform) = UnreachableNestedIndex();

        var report = await Harness.RunAsync(batchSize: 500);

        Assert.That(Harness.Committed, Is.EquivalentTo(new[] { outer, inner, platform }));
        Assert.That(report.SparedVersions, Is.Zero);
    }

    [Test]
    public async Task A_possible_referrer_that_mentions_the_digest_outside_its_manifests_does_not_spare()
    {
        var platform = Harness.Image.Manifest(Amd64, Old);
        Harness.PushMeanwhile("v2", $$$"""{"type":"oci","annotations":{"org.opencontainers.image.base.digest":"{{{Amd64}}}"}}""");

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.EqualTo(new[] { platform }));
    }

    [Test]
    public async Task A_version_deleted_meanwhile_is_not_deleted_again()
    {
        var vanished = Harness.Image.Manifest(Amd64, Old);
        var orphan = Harness.Image.Manifest(Arm64, Old);
        Harness.DeleteMeanwhile(vanished);

        var report = await Harness.RunAsync();

        Assert.That(Harness.DeleteCalls.SelectMany(ids => ids), Is.EqualTo(new[] { orphan }));
        Assert.That(report.DeletedVersions, Is.EqualTo(1));
    }

    [Test]
    public async Task A_dry_run_counts_the_doomed_versions_instead_of_deleting_them()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 2, dryRun: true);

        Assert.That(Harness.CountCalls.SelectMany(ids => ids), Is.EquivalentTo(new[] { outer, inner, platform }));
        Assert.That(Harness.DeleteCalls, Is.Empty);
    }

    [Test]
    public async Task A_batch_whose_recheck_spares_a_version_is_rolled_back_and_done_again_without_it()
    {
        // A real batch deletes first (which locks), then re-checks: a version that must stay after all
        // means the deletion is not committed, and a new batch deletes the others.
        var platform = Harness.Image.Manifest(Amd64, Old);
        var orphan = Harness.Image.Manifest(Arm64, Old);
        Harness.PushMeanwhile("v2", Metadata.Index(Amd64));

        var report = await Harness.RunAsync();

        Assert.Multiple(() =>
        {
            Assert.That(Harness.BatchCalls, Has.Count.EqualTo(2));
            Assert.That(Harness.BatchCalls[0].Ids, Is.EquivalentTo(new[] { platform, orphan }));
            Assert.That(Harness.BatchCalls[1].Ids, Is.EqualTo(new[] { orphan }));
            Harness.BatchCalls[0].Batch.Verify(b => b.CommitAsync(It.IsAny<CancellationToken>()), Times.Never);
            Harness.BatchCalls[0].Batch.Verify(b => b.DisposeAsync(), Times.Once);
            Assert.That(Harness.Committed, Is.EqualTo(new[] { orphan }));
            Assert.That(report.DeletedVersions, Is.EqualTo(1));
            Assert.That(report.SparedVersions, Is.EqualTo(1));
            Assert.That(report.Batches, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_dry_run_never_commits()
    {
        UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 1, dryRun: true);

        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(3));
        foreach (var call in Harness.BatchCalls)
        {
            call.Batch.Verify(b => b.CommitAsync(It.IsAny<CancellationToken>()), Times.Never);
        }

        Harness.Run.Verify(r => r.BeginBatchAsync(It.IsAny<IReadOnlyList<long>>(), true, It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task A_dry_run_reports_what_a_real_run_would_delete()
    {
        UnreachableNestedIndex();

        var report = await Harness.RunAsync(batchSize: 2, dryRun: true);

        Assert.That(report.DryRun, Is.True);
        Assert.That(report.DeletedVersions, Is.EqualTo(3));
        Assert.That(report.DeletedFiles, Is.EqualTo(3 * CleanupHarness.FilesPerVersion));
        Assert.That(report.DeletedProperties, Is.EqualTo(3 * CleanupHarness.PropertiesPerVersion));
    }

    [Test]
    public async Task A_dry_run_lists_every_candidate_with_its_decision()
    {
        var doomed = Harness.Image.Manifest(Amd64, Old);
        var young = Harness.Image.Manifest(Arm64, Young);
        var spared = Harness.Image.Manifest(Digests.Of("spared"), Old);
        Harness.PushMeanwhile("v2", Metadata.Index(Digests.Of("spared")));

        var report = await Harness.RunAsync(dryRun: true);

        Assert.That(report.Candidates.Select(c => (c.VersionId, c.Decision)), Is.EquivalentTo(new[]
        {
            (doomed, DanglingImageDecision.Delete),
            (young, DanglingImageDecision.TooYoung),
            (spared, DanglingImageDecision.Spared),
        }));
    }

    [TestCase(PostgresErrorCodes.DeadlockDetected)]
    [TestCase(PostgresErrorCodes.SerializationFailure)]
    public async Task A_batch_that_loses_a_lock_conflict_is_retried(string sqlState)
    {
        var orphan = Harness.Image.Manifest(Amd64, Old);
        Harness.FailNextDeletes(LockConflict(sqlState));

        var report = await Harness.RunAsync();

        Assert.That(Harness.BatchCalls.Select(c => c.Ids), Is.EqualTo(new[] { new[] { orphan }, new[] { orphan } }));
        Assert.That(Harness.Committed, Is.EqualTo(new[] { orphan }));
        Assert.That(report.DeletedVersions, Is.EqualTo(1));
    }

    [Test]
    public async Task A_batch_that_loses_a_lock_conflict_is_not_committed_before_its_retry()
    {
        var orphan = Harness.Image.Manifest(Amd64, Old);
        Harness.FailNextDeletes(LockConflict(PostgresErrorCodes.DeadlockDetected));

        await Harness.RunAsync();

        Harness.BatchCalls[0].Batch.Verify(b => b.CommitAsync(It.IsAny<CancellationToken>()), Times.Never);
        Assert.That(Harness.Committed, Is.EqualTo(new[] { orphan }));
    }

    [Test]
    public void A_batch_that_keeps_deadlocking_fails_the_run()
    {
        Harness.Image.Manifest(Amd64, Old);
        Harness.FailNextDeletes(Enumerable.Range(0, 10).Select(_ => LockConflict(PostgresErrorCodes.DeadlockDetected)).ToArray());

        Assert.That(async () => await Harness.RunAsync(), Throws.TypeOf<DanglingImageBatchConflictException>().With.InnerException.TypeOf<PostgresException>());
        Assert.That(Harness.Committed, Is.Empty);
    }

    [Test]
    public void A_failure_of_the_inventory_after_some_chunks_fails_the_run_with_that_error()
    {
        // The inventory runs ahead of the batches on a task of its own: its error must still end the run.
        var first = Harness.Inventory.Image(1, "owner/one").Manifest(Amd64, Old);
        Harness.Inventory.Image(2, "owner/two").Manifest(Arm64, Old);
        Harness.Run.Setup(r => r.ReadInventoryAsync(It.IsAny<CancellationToken>())).Returns(() => FailingAfterFirstChunk());

        Assert.That(async () => await Harness.RunAsync(), Throws.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.AdminShutdown));
        Assert.That(Harness.Committed, Is.SubsetOf(new[] { first }));

        async IAsyncEnumerable<InventoryChunk> FailingAfterFirstChunk()
        {
            await Task.Yield();
            yield return Harness.Inventory.Chunks()[0];
            throw new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown);
        }
    }

    [Test]
    public void A_failing_batch_stops_an_inventory_that_would_go_on_reading()
    {
        // A batch error while the inventory still has chunks to give: the run ends, it does not hang.
        for (var package = 1; package <= 20; package++)
        {
            Harness.Inventory.Image(package, $"owner/image{package}").Manifest(Of($"orphan {package}"), Old);
        }

        Harness.FailNextDeletes(new PostgresException("disk full", "ERROR", "ERROR", PostgresErrorCodes.DiskFull));

        Assert.That(async () => await Harness.RunAsync(batchSize: 1), Throws.TypeOf<PostgresException>());
        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(1));
    }

    [Test]
    public void Any_other_failure_of_a_batch_fails_the_run_without_retry()
    {
        Harness.Image.Manifest(Amd64, Old);
        Harness.FailNextDeletes(new PostgresException("disk full", "ERROR", "ERROR", PostgresErrorCodes.DiskFull));

        Assert.That(async () => await Harness.RunAsync(), Throws.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo(PostgresErrorCodes.DiskFull));
        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_failure_that_is_not_a_database_error_fails_the_run()
    {
        Harness.Image.Manifest(Amd64, Old);
        Harness.FailNextDeletes(new InvalidOperationException("connection broken"));

        Assert.That(async () => await Harness.RunAsync(), Throws.InvalidOperationException.With.Message.EqualTo("connection broken"));
    }

    [Test]
    public void The_run_lock_is_released_when_a_batch_fails()
    {
        Harness.Image.Manifest(Amd64, Old);
        Harness.FailNextDeletes(new InvalidOperationException("connection broken"));

        Assert.That(async () => await Harness.RunAsync(), Throws.InvalidOperationException);
        Harness.Run.Verify(r => r.DisposeAsync(), Times.Once);
    }

    [Test]
    public async Task The_run_lock_is_released_after_a_run()
    {
        UnreachableNestedIndex();

        await Harness.RunAsync(batchSize: 1);

        Harness.Run.Verify(r => r.DisposeAsync(), Times.Once);
        Assert.That(Harness.BatchCalls.Select(c => c.Batch.Invocations.Count(i => i.Method.Name == nameof(IAsyncDisposable.DisposeAsync))), Is.All.EqualTo(1));
    }

    [TestCase(86_400)]
    [TestCase(7_200)]
    [TestCase(0)]
    public async Task The_cutoff_is_the_clocks_now_minus_older_than(int olderThanSeconds)
    {
        var report = await Harness.RunAsync(olderThan: TimeSpan.FromSeconds(olderThanSeconds));

        Assert.That(report.CutoffUnix, Is.EqualTo(Now - olderThanSeconds));
        Assert.That(report.OlderThanSeconds, Is.EqualTo(olderThanSeconds));
    }

    [Test]
    public async Task The_clock_decides_which_versions_are_old_enough()
    {
        var atCutoff = Harness.Image.Manifest(Amd64, Cutoff);
        var before = Harness.Image.Manifest(Arm64, Cutoff - 1);

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.EqualTo(new[] { before }), $"{atCutoff} is not older than the cutoff");
    }

    [Test]
    public async Task A_later_clock_deletes_what_was_too_young()
    {
        var young = Harness.Image.Manifest(Amd64, Young);

        await Harness.RunAsync(clock: new FixedClock(Young + 86_401));

        Assert.That(Harness.Committed, Is.EqualTo(new[] { young }));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void A_batch_size_below_one_is_rejected(int batchSize)
    {
        Assert.That(() => Harness.RunAsync(batchSize: batchSize), Throws.TypeOf<ArgumentOutOfRangeException>());
        Harness.Store.VerifyNoOtherCalls();
    }

    [Test]
    public void A_negative_age_limit_is_rejected()
    {
        var options = new DanglingImageCleanupOptions(TimeSpan.FromSeconds(-1), 500, DryRun: false);

        Assert.That(() => Harness.Cleanup().RunAsync(options, CancellationToken.None), Throws.TypeOf<ArgumentOutOfRangeException>());
        Harness.Store.VerifyNoOtherCalls();
    }

    [Test]
    public async Task A_candidate_pushed_again_since_the_inventory_is_spared_with_what_it_references()
    {
        var (outer, inner, platform) = UnreachableNestedIndex();
        Harness.RepushMeanwhile(outer);

        var report = await Harness.RunAsync(batchSize: 1);

        Assert.Multiple(() =>
        {
            Assert.That(Harness.Committed, Is.Empty);
            Assert.That(report.SparedVersions, Is.EqualTo(3));
            Assert.That(report.Candidates.Where(c => c.VersionId == outer || c.VersionId == inner || c.VersionId == platform).Select(c => c.Decision),
                Is.All.EqualTo(DanglingImageDecision.Spared));
        });
    }

    /// <summary>What the store throws when the database ends a batch for a lock conflict.</summary>
    private static DanglingImageBatchConflictException LockConflict(string sqlState)
        => new(sqlState, new PostgresException("lock conflict", "ERROR", "ERROR", sqlState));

    /// <summary>outer index → inner index → amd64 manifest, all old and unreferenced; ids in the opposite order.</summary>
    private (long OuterIndex, long InnerIndex, long Platform) UnreachableNestedIndex()
    {
        var platform = Harness.Image.Manifest(Amd64, Old);
        var inner = Harness.Image.Index(InnerIndex, Old, Amd64);
        var outer = Harness.Image.Index(OuterIndex, Old, InnerIndex);
        return (outer, inner, platform);
    }
}
