using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>The counters, histogram and spans a cleanup run leaves behind.</summary>
public sealed class ContainerCleanupTelemetryTests : CleanupFixture
{
    private const string Meter = "Forge.Packages.Container";
    private const string Prefix = "forge.packages.container.cleanup.";

    private readonly List<IDisposable> collectors = [];

    [TearDown]
    public void DisposeCollectors()
    {
        collectors.ForEach(c => c.Dispose());
        collectors.Clear();
    }

    [Test]
    public async Task A_successful_run_is_counted_with_its_outcome_and_dry_run_flag()
    {
        var runs = Counter("runs");
        MixedRegistry();

        await Harness.RunAsync();

        Assert.That(Measurements(runs), Is.EqualTo(new[] { (1L, "outcome=success dry_run=False") }));
    }

    [Test]
    public async Task A_dry_run_is_counted_as_a_dry_run()
    {
        var runs = Counter("runs");
        MixedRegistry();

        await Harness.RunAsync(dryRun: true);

        Assert.That(Measurements(runs), Is.EqualTo(new[] { (1L, "outcome=success dry_run=True") }));
    }

    [Test]
    public async Task A_skipped_run_is_counted_as_skipped()
    {
        var runs = Counter("runs");
        Harness.AnotherRunInProgress();

        await Harness.RunAsync();

        Assert.That(Measurements(runs), Is.EqualTo(new[] { (1L, "outcome=skipped dry_run=False") }));
    }

    [Test]
    public void A_failed_run_is_counted_as_a_failure()
    {
        var runs = Counter("runs");
        MixedRegistry();
        Harness.FailNextDeletes(new InvalidOperationException("connection broken"));

        Assert.That(async () => await Harness.RunAsync(), Throws.InvalidOperationException);

        Assert.That(Measurements(runs), Is.EqualTo(new[] { (1L, "outcome=failure dry_run=False") }));
    }

    [Test]
    public async Task Scanned_versions_are_counted()
    {
        var scanned = Counter("versions.scanned");
        MixedRegistry();

        await Harness.RunAsync();

        Assert.That(Sum(scanned), Is.EqualTo(Harness.Inventory.Versions.Count));
    }

    [TestCase("versions.deleted", 1)]
    [TestCase("files.deleted", CleanupHarness.FilesPerVersion)]
    [TestCase("properties.deleted", CleanupHarness.PropertiesPerVersion)]
    public async Task Deleted_rows_are_counted(string instrument, int perVersion)
    {
        var deleted = Counter(instrument);
        MixedRegistry();

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Sum(deleted), Is.EqualTo(2 * perVersion), "two doomed versions");
    }

    [Test]
    public async Task A_dry_run_counts_no_deletions()
    {
        var deleted = Counter("versions.deleted");
        var files = Counter("files.deleted");
        var properties = Counter("properties.deleted");
        MixedRegistry();

        await Harness.RunAsync(dryRun: true);

        Assert.That(Sum(deleted) + Sum(files) + Sum(properties), Is.Zero);
    }

    [TestCase("referenced", 1)]
    [TestCase("too_young", 2)]
    [TestCase("spared", 3)]
    public async Task Kept_versions_are_counted_by_reason(string reason, int expected)
    {
        var kept = Counter("versions.kept");
        MixedRegistry();

        await Harness.RunAsync();

        Assert.That(kept.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], reason)).Sum(m => m.Value), Is.EqualTo(expected));
    }

    [Test]
    public async Task Referrers_kept_for_their_subject_are_counted_as_subject_alive()
    {
        var kept = Counter("versions.kept");
        Harness.Image.TaggedImage("v1", Digests.Of("image"), Old);
        Harness.Image.Referrer(Digests.Of("signature"), Old, Digests.Of("image"));
        Harness.Image.Referrer(Digests.Of("sbom"), Old, Digests.Of("image"));

        await Harness.RunAsync();

        Assert.That(kept.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "subject_alive")).Sum(m => m.Value), Is.EqualTo(2));
    }

    [Test]
    public async Task Deleted_versions_are_counted_by_reason()
    {
        var deleted = Counter("versions.deleted");
        Harness.Image.Manifest(Digests.Of("plain 1"), Old);
        Harness.Image.Manifest(Digests.Of("plain 2"), Old);
        Harness.Image.Referrer(Digests.Of("signature"), Old, Digests.Of("gone"));
        Harness.Image.Tag($"sha256-{Digests.Of("gone")["sha256:".Length..]}.sig", Old);

        await Harness.RunAsync(batchSize: 1, removeOrphanedReferrerTags: true);

        var byReason = deleted.GetMeasurementSnapshot().GroupBy(m => (string?)m.Tags["reason"]).ToDictionary(g => g.Key!, g => g.Sum(m => m.Value));
        Assert.That(byReason, Is.EquivalentTo(new Dictionary<string, long> { ["unreferenced"] = 2, ["orphaned_referrer"] = 1, ["orphaned_referrer_tag"] = 1 }));
    }

    [Test]
    public async Task Versions_with_malformed_metadata_are_counted()
    {
        var malformed = Counter("metadata.malformed");
        MixedRegistry();

        await Harness.RunAsync();

        Assert.That(Sum(malformed), Is.EqualTo(1));
    }

    [Test]
    public async Task The_duration_of_a_run_is_recorded_with_its_outcome()
    {
        var duration = Collect<double>("duration");
        MixedRegistry();

        await Harness.RunAsync();

        var measurement = duration.GetMeasurementSnapshot().Single();
        Assert.That(Tags(measurement.Tags), Is.EqualTo("outcome=success dry_run=False"));
        Assert.That(measurement.Value, Is.GreaterThanOrEqualTo(0));
    }

    [Test]
    public void The_duration_of_a_failed_run_is_recorded_as_a_failure()
    {
        var duration = Collect<double>("duration");
        MixedRegistry();
        Harness.FailNextDeletes(new InvalidOperationException("connection broken"));

        Assert.That(async () => await Harness.RunAsync(), Throws.InvalidOperationException);

        Assert.That(duration.GetMeasurementSnapshot().Select(m => Tags(m.Tags)), Is.EqualTo(new List<string> { "outcome=failure dry_run=False" }));
    }

    [Test]
    public async Task A_run_makes_one_cleanup_span()
    {
        using var spans = new SpanRecorder();
        MixedRegistry();

        await Harness.RunAsync();

        Assert.That(spans.Named("cleanup_container_sha256"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task The_cleanup_span_carries_the_runs_counts()
    {
        using var spans = new SpanRecorder();
        MixedRegistry();

        await Harness.RunAsync();

        Assert.That(spans.Run.GetTagItem("forge.cleanup.deleted_versions"), Is.EqualTo(2));
        Assert.That(spans.Run.GetTagItem("forge.cleanup.too_young_versions"), Is.EqualTo(2));
        Assert.That(spans.Run.GetTagItem("forge.cleanup.spared_versions"), Is.EqualTo(3));
        Assert.That(spans.Run.GetTagItem("forge.cleanup.cutoff_unix"), Is.EqualTo(Cutoff));
        Assert.That(spans.Run.GetTagItem("forge.cleanup.dry_run"), Is.False);
    }

    [Test]
    public async Task The_inventory_is_a_child_span_with_its_counts()
    {
        using var spans = new SpanRecorder();
        MixedRegistry();

        await Harness.RunAsync();

        var inventory = spans.Named("inventory").Single();
        Assert.That(inventory.ParentSpanId, Is.EqualTo(spans.Run.SpanId));
        Assert.That(inventory.GetTagItem("forge.cleanup.scanned_versions"), Is.EqualTo(Harness.Inventory.Versions.Count));
        Assert.That(inventory.GetTagItem("forge.cleanup.unreferenced_versions"), Is.EqualTo(7));
        Assert.That(inventory.GetTagItem("forge.cleanup.doomed_versions"), Is.EqualTo(5));
        Assert.That(inventory.GetTagItem("forge.cleanup.malformed_versions"), Is.EqualTo(1));
    }

    [Test]
    public async Task Every_batch_is_a_child_span_of_the_run()
    {
        using var spans = new SpanRecorder();
        MixedRegistry();

        await Harness.RunAsync(batchSize: 1);

        var batches = spans.Named("batch");
        Assert.That(batches, Has.Count.EqualTo(Harness.BatchCalls.Count).And.Count.GreaterThan(1));
        Assert.That(batches.Select(b => b.ParentSpanId), Is.All.EqualTo(spans.Run.SpanId));
    }

    [Test]
    public async Task A_batch_span_carries_its_counts()
    {
        using var spans = new SpanRecorder();
        var orphan = Harness.Image.Manifest(Digests.Of("orphan"), Old);
        var vanished = Harness.Image.Manifest(Digests.Of("vanished"), Old);
        Harness.DeleteMeanwhile(vanished);

        await Harness.RunAsync();

        var batch = spans.Named("batch").Single();
        Assert.That(batch.GetTagItem("forge.cleanup.batch_size"), Is.EqualTo(2), $"{orphan} and {vanished}");
        Assert.That(batch.GetTagItem("forge.cleanup.deleted_versions"), Is.EqualTo(1));
        Assert.That(batch.GetTagItem("forge.cleanup.deleted_files"), Is.EqualTo(CleanupHarness.FilesPerVersion));
        Assert.That(batch.GetTagItem("forge.cleanup.vanished_versions"), Is.EqualTo(1));
    }

    [Test]
    public void A_failed_run_marks_its_span_as_an_error()
    {
        using var spans = new SpanRecorder();
        MixedRegistry();
        Harness.FailNextDeletes(new InvalidOperationException("connection broken"));

        Assert.That(async () => await Harness.RunAsync(), Throws.InvalidOperationException);

        Assert.That(spans.Run.Status, Is.EqualTo(ActivityStatusCode.Error));
    }

    /// <summary>
    /// 1 referenced, 2 too young, 3 spared (an index and its two children gain a referrer), 2 doomed,
    /// 1 malformed tag: 10 versions, 7 of them unreferenced digest versions.
    /// </summary>
    private void MixedRegistry()
    {
        var image = Harness.Image;
        image.Tag("v1", Old, Digests.Of("referenced"));
        image.Manifest(Digests.Of("referenced"), Old);
        image.Manifest(Digests.Of("young 1"), Young);
        image.Manifest(Digests.Of("young 2"), Young);
        image.Index(Digests.Of("spared index"), Old, Digests.Of("spared 1"), Digests.Of("spared 2"));
        image.Manifest(Digests.Of("spared 1"), Old);
        image.Manifest(Digests.Of("spared 2"), Old);
        image.Manifest(Digests.Of("doomed 1"), Old);
        image.Manifest(Digests.Of("doomed 2"), Old);
        image.Version("broken", Old, """{"manifests":[{"dig""");
        Harness.PushMeanwhile("v2", Metadata.Index(Digests.Of("spared index")));
    }

    private MetricCollector<long> Counter(string name) => Collect<long>(name);

    private MetricCollector<T> Collect<T>(string name)
        where T : struct
    {
        var collector = new MetricCollector<T>(Harness.MeterFactory, Meter, Prefix + name);
        collectors.Add(collector);
        return collector;
    }

    private static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);

    private static IEnumerable<(long Value, string Tags)> Measurements(MetricCollector<long> collector)
        => collector.GetMeasurementSnapshot().Select(m => (m.Value, Tags(m.Tags)));

    private static string Tags(IReadOnlyDictionary<string, object?> tags)
        => string.Join(' ', tags.OrderByDescending(t => t.Key).Select(t => $"{t.Key}={t.Value}"));
}
