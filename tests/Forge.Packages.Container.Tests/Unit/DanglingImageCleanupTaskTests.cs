using Forge.Modularity;
using Forge.Packages.Container.Cleanup;
using Microsoft.Extensions.Logging.Abstractions;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>The cron task <c>cleanup_container_sha256</c>: its settings reach the cleanup, its outcome reaches the scheduler.</summary>
public sealed class DanglingImageCleanupTaskTests : CleanupFixture
{
    [Test]
    public async Task A_cleanup_skipped_for_another_run_makes_a_skipped_cron_run()
    {
        Harness.AnotherRunInProgress();

        var result = await RunTaskAsync(OlderThan, batchSize: 500, dryRun: false);

        Assert.That(result.Outcome, Is.EqualTo(CronRunOutcome.Skipped));
    }

    [Test]
    public async Task A_completed_cleanup_makes_a_successful_cron_run_that_says_what_it_deleted()
    {
        Harness.Image.Manifest(Digests.Of("orphan"), Old);

        var result = await RunTaskAsync(OlderThan, batchSize: 500, dryRun: false);

        Assert.That(result.Outcome, Is.EqualTo(CronRunOutcome.Success));
        Assert.That(result.Summary, Does.StartWith("deleted 1 version(s)"));
    }

    [Test]
    public async Task The_tasks_settings_reach_the_cleanup()
    {
        var twoDaysOld = Harness.Image.Manifest(Digests.Of("two days old"), Now - (2 * 86_400) - 1);
        Harness.Image.Manifest(Digests.Of("one day old"), Old);
        var threeDaysOld = Harness.Image.Manifest(Digests.Of("three days old"), Now - (3 * 86_400));

        await RunTaskAsync(TimeSpan.FromDays(2), batchSize: 1, dryRun: true);

        Assert.That(Harness.BatchCalls, Has.Count.EqualTo(2));
        Assert.That(Harness.CountCalls.SelectMany(ids => ids), Is.EquivalentTo(new[] { twoDaysOld, threeDaysOld }));
        Assert.That(Harness.DeleteCalls, Is.Empty);
    }

    [Test]
    public void The_task_is_declared_with_the_documented_defaults()
    {
        var settings = DanglingImageCleanupTask.Definition.Settings.ToDictionary(s => s.Key, s => s.DefaultValue);

        Assert.That(DanglingImageCleanupTask.Definition.Name, Is.EqualTo("cleanup_container_sha256"));
        Assert.That(settings, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["OlderThan"] = "24h", ["BatchSize"] = "500", ["Workers"] = "2", ["DryRun"] = "false", ["RemoveOrphanedReferrerTags"] = "false",
        }));
    }

    [TestCase(false, 0, TestName = "With_RemoveOrphanedReferrerTags_off_the_task_keeps_a_referrer_tag_of_nothing")]
    [TestCase(true, 1, TestName = "With_RemoveOrphanedReferrerTags_on_the_task_removes_a_referrer_tag_of_nothing")]
    public async Task The_referrer_tag_setting_reaches_the_cleanup(bool removeOrphanedReferrerTags, int deleted)
    {
        var tag = Harness.Image.Tag($"sha256-{Digests.Of("gone")["sha256:".Length..]}.sig", Old);

        var result = await RunTaskAsync(OlderThan, batchSize: 500, dryRun: false, removeOrphanedReferrerTags);

        Assert.That(Harness.Committed, Is.EqualTo(deleted == 1 ? new[] { tag } : []));
        Assert.That(result.Summary, Does.StartWith($"deleted {deleted} version(s) (orphaned referrers 0, referrer tags {deleted})"));
    }

    [TestCase(1, 1, TestName = "With_Workers_1_the_task_deletes_one_batch_at_a_time")]
    [TestCase(2, 2, TestName = "With_Workers_2_the_task_deletes_two_batches_at_once")]
    public async Task The_workers_setting_reaches_the_cleanup(int workers, int mostOpen)
    {
        for (var package = 1; package <= 4; package++)
        {
            Harness.Inventory.Image(package, $"owner/image{package}").Manifest(Digests.Of($"orphan {package}"), Old);
        }

        Harness.HoldBatchesUntilOpen(2, TimeSpan.FromSeconds(workers == 1 ? 0.2 : 10));

        var result = await RunTaskAsync(OlderThan, batchSize: 1, dryRun: false, workers: workers);

        Assert.That(result.Summary, Does.StartWith("deleted 4 version(s)"));
        Assert.That(Harness.MostOpenBatches, Is.EqualTo(mostOpen));
    }

    private Task<CronTaskResult> RunTaskAsync(TimeSpan olderThan, int batchSize, bool dryRun, bool removeOrphanedReferrerTags = false, int workers = 1)
    {
        var settings = new CronTaskSettings(new Dictionary<string, object>
        {
            ["OlderThan"] = olderThan, ["BatchSize"] = batchSize, ["Workers"] = workers, ["DryRun"] = dryRun,
            ["RemoveOrphanedReferrerTags"] = removeOrphanedReferrerTags,
        });
        var task = new DanglingImageCleanupTask(Harness.Cleanup(), NullLogger<DanglingImageCleanupTask>.Instance);
        return task.RunAsync(new CronTaskContext(DanglingImageCleanupTask.Name, settings, CronRunTrigger.Manual, RunId: 1), CancellationToken.None);
    }
}
