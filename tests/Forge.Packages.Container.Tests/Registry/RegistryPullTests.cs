using System.Diagnostics.Metrics;
using System.Net;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// The record of pulls (docs/registry.md): which manifest requests count as pulls of which versions, and how the
/// pulls recorded in memory reach forge_package_version_pull. The timer is set to an hour, so that each test flushes
/// when it means to.
/// </summary>
[Category("Registry")]
public sealed class RegistryPullTests : RegistryApiTest
{
    protected override (string Key, string? Value)[] Settings => [(RegistrySettings.PullFlushIntervalKey, "1h")];

    private PullRecorder Recorder => Registry.World.Service<PullRecorder>();

    [Test]
    public async Task A_GET_by_tag_records_a_pull_of_the_tag_s_version()
    {
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, "v1");
        await Client.PushOkAsync(App, image, "v2");

        var before = Now();
        await GetOkAsync("v1");
        var after = Now();

        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await PulledAsync(), Is.EqualTo(new[] { await IdAsync("v1") }));
        Assert.That(await LastPullAsync("v1"), Is.InRange(before, after));
    }

    [Test]
    public async Task A_GET_by_digest_records_a_pull_of_every_version_the_digest_names()
    {
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, reference: null);
        await Client.PushOkAsync(App, image, "v1");
        await Client.PushOkAsync(App, image, "v2");
        await Client.PushOkAsync(App, Image(seed: 2), "other");

        await GetOkAsync(image.Digest);

        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.EqualTo(3));
        Assert.That(await PulledAsync(), Is.EquivalentTo(new[] { await IdAsync(image.Digest), await IdAsync("v1"), await IdAsync("v2") }));
    }

    [Test]
    public async Task A_GET_by_the_digest_of_a_manifest_pushed_only_by_tag_records_a_pull_of_that_tag()
    {
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, "v1");

        await GetOkAsync(image.Digest);

        await Recorder.FlushAsync(CancellationToken.None);
        Assert.That(await PulledAsync(), Is.EqualTo(new[] { await IdAsync("v1") }));
    }

    [Test]
    public async Task An_index_pulled_by_tag_counts_for_its_tag_and_its_platform_manifests_pulled_by_digest_for_theirs()
    {
        var amd64 = Image(seed: 1);
        var arm64 = Image(seed: 2, architecture: "arm64");
        await Client.PushOkAsync(App, amd64, reference: null);
        await Client.PushOkAsync(App, arm64, reference: null);
        using (var index = await Client.PutManifestAsync(App, "multi", Index(amd64, arm64), OciIndex))
        {
            Assert.That(index.StatusCode, Is.EqualTo(HttpStatusCode.Created), await index.Content.ReadAsStringAsync());
        }

        await GetOkAsync("multi");
        await Recorder.FlushAsync(CancellationToken.None);
        Assert.That(await PulledAsync(), Is.EqualTo(new[] { await IdAsync("multi") }));

        await GetOkAsync(arm64.Digest);
        await Recorder.FlushAsync(CancellationToken.None);
        Assert.That(await PulledAsync(), Is.EquivalentTo(new[] { await IdAsync("multi"), await IdAsync(arm64.Digest) }));
    }

    [Test]
    public async Task A_HEAD_and_a_404_record_no_pull()
    {
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, "v1");
        using var recorded = Collect("forge.registry.pulls.recorded");

        foreach (var reference in new[] { "v1", image.Digest })
        {
            using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{App}/manifests/{reference}"));
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK), reference);
        }

        foreach (var reference in new[] { "v9", Image(seed: 2).Digest })
        {
            using var missing = await Client.GetAsync($"/v2/{App}/manifests/{reference}");
            await AssertErrorAsync(missing, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }

        Assert.That(Recorder.Pending, Is.Zero);
        Assert.That(recorded.GetMeasurementSnapshot(), Is.Empty);
        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.Zero);
        Assert.That(await PulledAsync(), Is.Empty);
    }

    [Test]
    public async Task Many_pulls_of_a_version_within_an_interval_make_one_write_of_the_latest_pull()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        var id = await IdAsync("v1");
        using var recorded = Collect("forge.registry.pulls.recorded");
        using var written = Collect("forge.registry.pulls.written");

        for (var i = 0; i < 5; i++)
        {
            await GetOkAsync("v1");
        }

        var now = Now();
        Recorder.Record([id], now + 100);
        Recorder.Record([id], now + 50);

        Assert.That(Recorder.Pending, Is.EqualTo(1));
        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await LastPullAsync("v1"), Is.EqualTo(now + 100));
        Assert.That(recorded.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(7));
        Assert.That(written.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.Zero, "nothing is pending after a flush");
    }

    [Test]
    public async Task A_flush_keeps_a_later_pull_that_another_node_wrote()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        var id = await IdAsync("v1");
        var later = Now() + 3600;
        await Registry.World.ExecuteAsync("INSERT INTO forge_package_version_pull (version_id, last_pulled_unix) VALUES ($1, $2)", id, later);

        await GetOkAsync("v1");
        await Recorder.FlushAsync(CancellationToken.None);

        Assert.That(await LastPullAsync("v1"), Is.EqualTo(later));
    }

    [Test]
    public async Task Pulls_are_written_when_the_host_stops()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await GetOkAsync("v1");

        await Registry.StopAsync();

        Assert.That(await PulledAsync(), Is.EqualTo(new[] { await IdAsync("v1") }));
        Assert.That(Registry.Logs, Does.Not.Contain("were not written before shutdown"));
    }

    [Test]
    public async Task Pulls_are_written_every_interval()
    {
        await using var registry = await RegistryWorld.StartAsync((RegistrySettings.PullFlushIntervalKey, "1s"));
        await registry.AddAccountAsync("alice", "pw");
        using var client = registry.Client("alice", "pw");
        await client.PushOkAsync(App, Image(seed: 1), "v1");

        using (var get = await client.GetAsync($"/v2/{App}/manifests/v1"))
        {
            Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await Wait.UntilAsync(async () => await registry.World.CountAsync("SELECT count(*) FROM forge_package_version_pull") == 1);
    }

    [Test]
    public async Task A_version_deleted_before_the_flush_is_skipped_and_the_other_pulls_are_written()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await Client.PushOkAsync(App, Image(seed: 2), "v2");
        using var failures = Collect("forge.registry.pulls.flush.failures");
        await GetOkAsync("v1");
        await GetOkAsync("v2");
        var v2 = await IdAsync("v2");

        using (var deleted = await Client.DeleteAsync($"/v2/{App}/manifests/v1"))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.EqualTo(1));
        Assert.That(await PulledAsync(), Is.EqualTo(new[] { v2 }));
        Assert.That(Recorder.Pending, Is.Zero);
        Assert.That(failures.GetMeasurementSnapshot().Sum(m => m.Value), Is.Zero);
    }

    [Test]
    public async Task A_version_deleted_while_the_flush_waits_for_it_is_skipped_and_the_other_pulls_are_written()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await Client.PushOkAsync(App, Image(seed: 2), "v2");
        var (v1, v2) = (await IdAsync("v1"), await IdAsync("v2"));
        await GetOkAsync("v1");
        await GetOkAsync("v2");

        // A delete that has not committed yet when the flush starts: without the flush's lock on the version, its
        // insert would pass the join and then fail the foreign key, and with it the whole batch.
        await using var deleter = new NpgsqlConnection(Registry.World.Database.ConnectionString);
        await deleter.OpenAsync();
        await using var transaction = await deleter.BeginTransactionAsync();
        await using (var delete = new NpgsqlCommand("DELETE FROM package_version WHERE id = $1", deleter, transaction) { Parameters = { new() { Value = v1 } } })
        {
            await delete.ExecuteNonQueryAsync();
        }

        var flush = Recorder.FlushAsync(CancellationToken.None);
        await Wait.UntilAsync(async () => await Registry.World.CountAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0);
        await transaction.CommitAsync();

        Assert.That(await flush, Is.EqualTo(1));
        Assert.That(await PulledAsync(), Is.EqualTo(new[] { v2 }));
        Assert.That(Recorder.Pending, Is.Zero);
    }

    [Test]
    public async Task A_failed_flush_keeps_its_pulls_for_the_next_flush()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await Client.PushOkAsync(App, Image(seed: 2), "v2");
        using var failures = Collect("forge.registry.pulls.flush.failures");
        var before = Now();
        await GetOkAsync("v1");
        var after = Now();

        // The database refuses the statement while the table is away.
        await Registry.World.ExecuteAsync("ALTER TABLE forge_package_version_pull RENAME TO forge_package_version_pull_away");
        try
        {
            Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.Zero);
        }
        finally
        {
            await Registry.World.ExecuteAsync("ALTER TABLE forge_package_version_pull_away RENAME TO forge_package_version_pull");
        }

        Assert.That(Recorder.Pending, Is.EqualTo(1), "the failed flush's pull is pending again");
        Assert.That(failures.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(Registry.Logs, Does.Contain("Could not write the last pulls of 1 version(s); they are kept for the next flush"));
        await GetOkAsync("v2");
        Assert.That(await Recorder.FlushAsync(CancellationToken.None), Is.EqualTo(2));
        Assert.That(await PulledAsync(), Is.EqualTo(new[] { await IdAsync("v1"), await IdAsync("v2") }));
        Assert.That(await LastPullAsync("v1"), Is.InRange(before, after));
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private async Task GetOkAsync(string reference)
    {
        using var response = await Client.GetAsync($"/v2/{App}/manifests/{reference}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), reference);
    }

    private async Task<long> IdAsync(string version) => await VersionIdAsync(version) ?? throw new AssertionException($"no version {version}");

    /// <summary>The ids of the versions with a recorded pull, in order.</summary>
    private async Task<long[]> PulledAsync()
        => await Registry.World.ScalarAsync<long[]>("SELECT coalesce(array_agg(version_id ORDER BY version_id), '{}') FROM forge_package_version_pull") ?? [];

    private async Task<long?> LastPullAsync(string version)
        => await Registry.World.ScalarAsync<long?>("SELECT last_pulled_unix FROM forge_package_version_pull WHERE version_id = $1", await IdAsync(version));

    private MetricCollector<long> Collect(string instrument)
        => new(Registry.World.Service<IMeterFactory>(), ContainerModule.TelemetryName, instrument);
}
