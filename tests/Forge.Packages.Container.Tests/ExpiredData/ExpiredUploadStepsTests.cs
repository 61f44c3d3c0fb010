using Forge.Packages.Container.ExpiredData;
using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
using Forge.Testing;

namespace Forge.Packages.Container.Tests.ExpiredData;

/// <summary>
/// The registry's steps of the expired-data cleanup (expired upload sessions, unused uploaded blobs) in a whole run,
/// against a real PostgreSQL and a real content store folder, with rows as Forgejo's registry writes them.
/// </summary>
[NonParallelizable]
public sealed class ExpiredUploadStepsTests
{
    private static readonly string[] StepsInOrder = ["expiredUploads", "expiredUploadedBlobs", "emptyPackages", "orphanedBlobs"];

    private static readonly string[] ReportKeysInOrder =
        ["dryRun", "skipped", "olderThanSeconds", "cutoffUnix", .. StepsInOrder, "bytesFreed", "durationSeconds"];

    private ForgeTestWorld w = null!;

    private FolderContentStore Store => w.Service<FolderContentStore>();

    private ContentStaging Staging => w.Service<ContentStaging>();

    [SetUp]
    public async Task CreateWorld() => w = await ForgeTestWorld.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await w.DisposeAsync();

    [Test]
    public async Task Expired_upload_sessions_go_with_their_partial_files_and_recent_ones_stay()
    {
        var expired = await w.UploadSessionAsync("expired", w.Old);
        var recent = await w.UploadSessionAsync("recent", w.Young);

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<ExpiredUploadsReport>(), Is.EqualTo(new ExpiredUploadsReport { Sessions = 1, Files = 1 }));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_blob_upload WHERE id = 'expired'"), Is.Zero);
            Assert.That(File.Exists(expired), Is.False);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_blob_upload WHERE id = 'recent'"), Is.EqualTo(1));
            Assert.That(File.Exists(recent), Is.True);
        });
    }

    [Test]
    public async Task Old_files_of_upload_versions_go_and_an_upload_version_left_empty_goes_with_its_properties()
    {
        var package = await w.PackageAsync("app");
        var mixed = await w.UploadVersionAsync(package);
        var oldFile = await w.FileAsync(mixed, (await w.BlobAsync(w.Old)).Id, w.Old, "old");
        var youngFile = await w.FileAsync(mixed, (await w.BlobAsync(w.Young)).Id, w.Young, "young");
        var other = await w.PackageAsync("tool");
        var emptied = await w.UploadVersionAsync(other);
        await w.FileAsync(emptied, (await w.BlobAsync(w.Old)).Id, w.Old, "old");
        var emptiedProperty = await w.PropertyAsync(0, emptied, "some.property", "x");

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<ExpiredUploadedBlobsReport>().Files, Is.EqualTo(2));
            Assert.That(report.Step<ExpiredUploadedBlobsReport>().FileProperties, Is.EqualTo(2));
            Assert.That(report.Step<ExpiredUploadedBlobsReport>().Versions, Is.EqualTo(1));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_file WHERE id = $1", oldFile), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE ref_type = 1 AND ref_id = $1", oldFile), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_file WHERE id = $1", youngFile), Is.EqualTo(1));
            Assert.That(await w.VersionExistsAsync(mixed), Is.True);
            Assert.That(await w.VersionExistsAsync(emptied), Is.False);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", emptiedProperty), Is.Zero);
        });
    }

    [Test]
    public async Task A_dry_run_removes_nothing_and_reports_exactly_what_the_real_run_then_removes()
    {
        await w.UploadSessionAsync("expired", w.Old);
        var package = await w.PackageAsync("app");
        var upload = await w.UploadVersionAsync(package);
        await w.FileAsync(upload, (await w.BlobAsync(w.Old)).Id, w.Old, "old");
        await w.PackageAsync("empty");
        await w.BlobAsync(w.Old);
        await w.BlobAsync(w.Young);
        var before = await w.SnapshotAsync();
        var filesBefore = await Store.EnumerateAsync(CancellationToken.None).CountAsync();

        var dry = await w.ExpiredDataCleanupAsync(dryRun: true);
        var afterDry = await w.SnapshotAsync();
        var real = await w.ExpiredDataCleanupAsync();
        var filesAfter = await Store.EnumerateAsync(CancellationToken.None).CountAsync();

        Assert.Multiple(() =>
        {
            Assert.That(afterDry, Is.EqualTo(before));
            Assert.That(filesAfter, Is.EqualTo(filesBefore - 2));
            Assert.That(dry.Step<ExpiredUploadsReport>(), Is.EqualTo(real.Step<ExpiredUploadsReport>()));
            Assert.That(dry.Step<ExpiredUploadedBlobsReport>(), Is.EqualTo(real.Step<ExpiredUploadedBlobsReport>()));
            Assert.That(dry.Step<EmptyPackagesReport>(), Is.EqualTo(real.Step<EmptyPackagesReport>()), "the upload-only package empties in step 2");
            Assert.That(dry.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(real.Step<OrphanedBlobsReport>().Blobs));
            Assert.That(dry.BytesFreed, Is.EqualTo(real.BytesFreed));
            Assert.That(real.Step<EmptyPackagesReport>().Packages, Is.EqualTo(2));
            Assert.That(real.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task An_upload_session_started_long_ago_but_updated_recently_stays()
    {
        await w.ExecuteAsync("INSERT INTO package_blob_upload (id, bytes_received, created_unix, updated_unix) VALUES ('busy', 3, $1, $2)", w.Old, w.Young);

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<ExpiredUploadsReport>().Sessions, Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_blob_upload WHERE id = 'busy'"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Stale_staged_files_and_partial_files_without_a_session_are_swept_and_fresh_ones_stay()
    {
        var staleTemporary = await ForgeTestWorld.StrayFileAsync(Path.Combine(Staging.Root, "tmp", "stale"), DateTime.UtcNow.AddDays(-3));
        var freshTemporary = await ForgeTestWorld.StrayFileAsync(Path.Combine(Staging.Root, "tmp", "fresh"), DateTime.UtcNow);
        var orphanUpload = await ForgeTestWorld.StrayFileAsync(Staging.UploadPathOf("gone"), DateTime.UtcNow.AddDays(-3));
        var liveUpload = await w.UploadSessionAsync("live", w.Young);
        File.SetLastWriteTimeUtc(liveUpload, DateTime.UtcNow.AddDays(-3));

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.Step<ExpiredUploadsReport>().StaleFiles, Is.EqualTo(2));
            Assert.That(File.Exists(staleTemporary), Is.False);
            Assert.That(File.Exists(orphanUpload), Is.False);
            Assert.That(File.Exists(freshTemporary), Is.True);
            Assert.That(File.Exists(liveUpload), Is.True, "its session is alive");
        });
    }

    [Test]
    public void The_registry_steps_run_before_the_packages_steps_so_what_they_free_goes_the_same_night()
    {
        var steps = w.Service<IEnumerable<IExpiredDataStep>>().OrderBy(s => s.Order).Select(s => s.ReportKey);

        Assert.That(steps, Is.EqualTo(StepsInOrder));
    }

    [Test]
    public async Task The_json_report_keeps_its_keys_in_the_order_of_the_run()
    {
        var report = await w.ExpiredDataCleanupAsync(dryRun: true);

        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.That(json.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(ReportKeysInOrder));
    }

    [Test]
    public async Task A_skipped_run_reports_every_step_with_nothing_done()
    {
        await using var other = new Npgsql.NpgsqlConnection(w.Database.ConnectionString);
        await other.OpenAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock($1)", other))
        {
            hold.Parameters.AddWithValue(ExpiredDataCleanup.RunLockKey);
            await hold.ExecuteNonQueryAsync();
        }

        var report = await w.ExpiredDataCleanupAsync();

        using var json = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.Multiple(() =>
        {
            Assert.That(report.Skipped, Is.True);
            Assert.That(report.Step<ExpiredUploadsReport>(), Is.EqualTo(new ExpiredUploadsReport()));
            Assert.That(json.RootElement.GetProperty("expiredUploadedBlobs").GetProperty("files").GetInt64(), Is.Zero);
            Assert.That(json.RootElement.GetProperty("orphanedBlobs").GetProperty("blobs").GetInt64(), Is.Zero);
        });
    }
}
