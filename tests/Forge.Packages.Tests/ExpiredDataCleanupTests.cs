using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Forge.Packages.Cleanup;
using Forge.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Forge.Packages.Tests;

/// <summary>The expired-data cleanup against a real PostgreSQL and a real content store folder.</summary>
[NonParallelizable]
public sealed class ExpiredDataCleanupTests
{
    private static readonly string[] ReportKeys =
        ["dryRun", "skipped", "olderThanSeconds", "cutoffUnix", "expiredUploads", "expiredUploadedBlobs", "emptyPackages", "orphanedBlobs", "bytesFreed"];

    private static readonly string[] Steps = ["expired_uploads", "expired_uploaded_blobs", "empty_packages", "orphaned_blobs"];

    private ForgeTestWorld w = null!;

    private ExpiredDataCleanupHooks Hooks => w.Service<ExpiredDataCleanupHooks>();

    private ContentStore Store => w.Service<ContentStore>();

    [SetUp]
    public async Task CreateWorld() => w = await ForgeTestWorld.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await w.DisposeAsync();

    [Test]
    public async Task Expired_upload_sessions_go_with_their_partial_files_and_recent_ones_stay()
    {
        var expired = await UploadAsync("expired", w.Old);
        var recent = await UploadAsync("recent", w.Young);

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.ExpiredUploads, Is.EqualTo(new ExpiredUploadsStep { Sessions = 1, Files = 1 }));
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
        var mixed = await UploadVersionAsync(package);
        var oldFile = await FileAsync(mixed, await BlobAsync(w.Old), w.Old, "old");
        var youngFile = await FileAsync(mixed, await BlobAsync(w.Young), w.Young, "young");
        var other = await w.PackageAsync("tool");
        var emptied = await UploadVersionAsync(other);
        await FileAsync(emptied, await BlobAsync(w.Old), w.Old, "old");
        var emptiedProperty = await w.PropertyAsync(0, emptied, "some.property", "x");

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.ExpiredUploadedBlobs.Files, Is.EqualTo(2));
            Assert.That(report.ExpiredUploadedBlobs.FileProperties, Is.EqualTo(2));
            Assert.That(report.ExpiredUploadedBlobs.Versions, Is.EqualTo(1));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_file WHERE id = $1", oldFile), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE ref_type = 1 AND ref_id = $1", oldFile), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_file WHERE id = $1", youngFile), Is.EqualTo(1));
            Assert.That(await w.VersionExistsAsync(mixed), Is.True);
            Assert.That(await w.VersionExistsAsync(emptied), Is.False);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", emptiedProperty), Is.Zero);
        });
    }

    [Test]
    public async Task Empty_packages_go_with_their_package_properties_and_nothing_else()
    {
        var empty = await w.PackageAsync("empty", "generic");
        var packageProperty = await w.PropertyAsync(2, empty, "container.repository", "demo/empty");
        var sameIdOtherKind = await w.PropertyAsync(0, empty, "some.version.property", "x");
        var used = await w.PackageAsync("used");
        await w.VersionAsync(used, "v1", w.Old, null);

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.EmptyPackages, Is.EqualTo(new EmptyPackagesStep { Packages = 1, Properties = 1 }));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package WHERE id = $1", empty), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", packageProperty), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", sameIdOtherKind), Is.EqualTo(1));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package WHERE id = $1", used), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Orphaned_blobs_older_than_the_cutoff_go_with_their_content_and_the_rest_stays()
    {
        var (orphan, orphanHash, size) = await BlobWithHashAsync(w.Old);
        var (young, youngHash, _) = await BlobWithHashAsync(w.Young);
        var (used, usedHash, _) = await BlobWithHashAsync(w.Old);
        var version = await w.VersionAsync(await w.PackageAsync("app"), "v1", w.Old, null);
        await FileAsync(version, used, w.Old, "layer");

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.OrphanedBlobs.Blobs, Is.EqualTo(1));
            Assert.That(report.OrphanedBlobs.ContentFilesRemoved, Is.EqualTo(1));
            Assert.That(report.BytesFreed, Is.EqualTo(size));
            Assert.That(await BlobExistsAsync(orphan), Is.False);
            Assert.That(Store.Exists(orphanHash), Is.False);
            Assert.That(await BlobExistsAsync(young), Is.True);
            Assert.That(Store.Exists(youngHash), Is.True);
            Assert.That(await BlobExistsAsync(used), Is.True);
            Assert.That(Store.Exists(usedHash), Is.True);
        });
    }

    [Test]
    public async Task A_blob_shared_by_a_deleted_and_a_kept_version_stays()
    {
        var shared = await BlobAsync(w.Old);
        var package = await w.PackageAsync("app");
        var gone = await w.VersionAsync(package, "sha256:" + new string('a', 64), w.Old, null);
        var kept = await w.VersionAsync(package, "v1", w.Old, null);
        var goneFile = await FileAsync(gone, shared, w.Old, "layer");
        await FileAsync(kept, shared, w.Old, "layer");
        await w.ExecuteAsync("DELETE FROM package_file WHERE id = $1", goneFile);
        await w.ExecuteAsync("DELETE FROM package_version WHERE id = $1", gone);

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.OrphanedBlobs.Blobs, Is.Zero);
            Assert.That(await BlobExistsAsync(shared), Is.True);
        });
    }

    [Test]
    public async Task The_database_refuses_to_delete_a_blob_that_a_file_uses()
    {
        var blob = await BlobAsync(w.Old);
        await FileAsync(await w.VersionAsync(await w.PackageAsync("app"), "v1", w.Old, null), blob, w.Old, "layer");

        var failure = Assert.ThrowsAsync<PostgresException>(async () => await w.ExecuteAsync("DELETE FROM package_blob WHERE id = $1", blob));

        Assert.That(failure!.SqlState, Is.EqualTo(PostgresErrorCodes.ForeignKeyViolation));
    }

    [Test]
    public async Task A_blob_that_gains_a_file_while_the_cleanup_runs_is_kept()
    {
        var (blob, hash, _) = await BlobWithHashAsync(w.Old);
        var version = await w.VersionAsync(await w.PackageAsync("app"), "v1", w.Old, null);
        Hooks.BeforeBlobLock = async ids =>
        {
            if (ids.Contains(blob))
            {
                await FileAsync(version, blob, w.Now, "late");
            }
        };

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.OrphanedBlobs.Blobs, Is.Zero);
            Assert.That(await BlobExistsAsync(blob), Is.True);
            Assert.That(Store.Exists(hash), Is.True);
        });
    }

    [Test]
    public async Task Content_uploaded_again_after_its_row_went_keeps_its_file()
    {
        var (_, hash, size) = await BlobWithHashAsync(w.Old);
        Hooks.BeforeContentRemoval = async removed =>
        {
            // A push of the same bytes between the cleanup's commit and its file removal.
            await InsertBlobRowAsync(removed, size, w.Now);
        };

        var report = await CleanupAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.OrphanedBlobs.Blobs, Is.EqualTo(1));
            Assert.That(report.OrphanedBlobs.ContentFilesReused, Is.EqualTo(1));
            Assert.That(report.OrphanedBlobs.ContentFilesRemoved, Is.Zero);
            Assert.That(Store.Exists(hash), Is.True);
        });
    }

    [Test]
    public async Task A_crash_after_the_commit_leaves_stray_files_that_fsck_finds_and_repair_removes()
    {
        var (blob, hash, _) = await BlobWithHashAsync(w.Old);
        File.SetLastWriteTimeUtc(Store.PathOf(hash), DateTime.UtcNow.AddDays(-3));

        await CrashAfterTheCommitAsync();
        var check = w.Service<ContentStoreCheck>();
        var found = await check.RunAsync(repair: false, TimeSpan.FromHours(24), CancellationToken.None);
        var repaired = await check.RunAsync(repair: true, TimeSpan.FromHours(24), CancellationToken.None);
        var after = await check.RunAsync(repair: false, TimeSpan.FromHours(24), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(blob), Is.False, "the row's deletion committed");
            Assert.That(found.StrayFiles, Is.EqualTo(new[] { hash }));
            Assert.That(found.Healthy, Is.True, "a stray file is no data loss");
            Assert.That(repaired.StrayFilesRemoved, Is.EqualTo(1));
            Assert.That(Store.Exists(hash), Is.False);
            Assert.That(after.StrayFiles, Is.Empty);
        });
    }

    [Test]
    public async Task A_crash_after_the_commit_leaves_the_file_queued_and_the_next_run_removes_it()
    {
        var (blob, hash, size) = await BlobWithHashAsync(w.Old);
        await CrashAfterTheCommitAsync();
        var queuedAfterCrash = await QueuedRemovalsAsync();

        var next = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(blob), Is.False, "the row's deletion committed");
            Assert.That(queuedAfterCrash, Is.EqualTo(new[] { hash }), "queued in the transaction that deleted the row");
            Assert.That(Store.Exists(hash), Is.False, "the next run removed the file");
            Assert.That(next.OrphanedBlobs.ContentFilesRemoved, Is.EqualTo(1));
            Assert.That(next.BytesFreed, Is.EqualTo(size));
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_queued_file_whose_content_was_uploaded_again_is_kept_and_dequeued()
    {
        var (blob, hash, size) = await BlobWithHashAsync(w.Old);
        await CrashAfterTheCommitAsync();
        var again = await InsertBlobRowAsync(hash, size, w.Now);

        var next = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(again), Is.True);
            Assert.That(Store.Exists(hash), Is.True, "the new row names the file");
            Assert.That(next.OrphanedBlobs.ContentFilesReused, Is.EqualTo(1));
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_queued_entry_that_is_no_hash_is_counted_as_failed_once_and_dropped()
    {
        await w.ExecuteAsync("INSERT INTO forge_content_removal (hash_sha256, queued_unix) VALUES ($1, 0)", new string('z', 64));

        var report = await CleanupAsync();
        var next = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.OrphanedBlobs.ContentFilesFailed, Is.EqualTo(1));
            Assert.That(next.OrphanedBlobs.ContentFilesFailed, Is.Zero, "not tried again on every run");
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task Repair_leaves_stray_files_younger_than_the_cutoff_alone()
    {
        var (blob, hash, _) = await BlobWithHashAsync(w.Old);
        await w.ExecuteAsync("DELETE FROM package_blob WHERE id = $1", blob);

        var report = await w.Service<ContentStoreCheck>().RunAsync(repair: true, TimeSpan.FromHours(24), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.StrayFiles, Is.EqualTo(new[] { hash }));
            Assert.That(report.StrayFilesRemoved, Is.Zero);
            Assert.That(Store.Exists(hash), Is.True);
        });
    }

    [Test]
    public async Task Fsck_reports_missing_and_corrupt_files_loudly_and_repair_never_deletes_a_row()
    {
        var (missing, missingHash, _) = await BlobWithHashAsync(w.Old);
        var (_, corruptHash, _) = await BlobWithHashAsync(w.Old);
        File.Delete(Store.PathOf(missingHash));
        await File.WriteAllBytesAsync(Store.PathOf(corruptHash), [1, 2, 3]);

        var report = await w.Service<ContentStoreCheck>().RunAsync(repair: true, TimeSpan.Zero, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(report.Healthy, Is.False);
            Assert.That(report.MissingFiles, Is.EqualTo(new[] { missingHash }));
            Assert.That(report.CorruptFiles, Is.EqualTo(new[] { corruptHash }));
            Assert.That(await BlobExistsAsync(missing), Is.True);
            Assert.That(Store.Exists(corruptHash), Is.True);
        });
    }

    [Test]
    public async Task A_dry_run_removes_nothing_and_reports_exactly_what_the_real_run_then_removes()
    {
        await UploadAsync("expired", w.Old);
        var package = await w.PackageAsync("app");
        var upload = await UploadVersionAsync(package);
        await FileAsync(upload, await BlobAsync(w.Old), w.Old, "old");
        await w.PackageAsync("empty");
        await BlobAsync(w.Old);
        await BlobAsync(w.Young);
        var before = await w.SnapshotAsync();
        var filesBefore = Store.EnumerateContent().Count();

        var dry = await CleanupAsync(dryRun: true);
        var afterDry = await w.SnapshotAsync();
        var real = await CleanupAsync();

        Assert.Multiple(() =>
        {
            Assert.That(afterDry, Is.EqualTo(before));
            Assert.That(Store.EnumerateContent().Count(), Is.EqualTo(filesBefore - 2));
            Assert.That(dry.ExpiredUploads, Is.EqualTo(real.ExpiredUploads));
            Assert.That(dry.ExpiredUploadedBlobs, Is.EqualTo(real.ExpiredUploadedBlobs));
            Assert.That(dry.EmptyPackages, Is.EqualTo(real.EmptyPackages), "the upload-only package empties in step 2");
            Assert.That(dry.OrphanedBlobs.Blobs, Is.EqualTo(real.OrphanedBlobs.Blobs));
            Assert.That(dry.BytesFreed, Is.EqualTo(real.BytesFreed));
            Assert.That(real.EmptyPackages.Packages, Is.EqualTo(2));
            Assert.That(real.OrphanedBlobs.Blobs, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_run_counts_what_it_freed_and_traces_one_span_per_step()
    {
        var (_, _, size) = await BlobWithHashAsync(w.Old);
        var meters = w.Service<IMeterFactory>();
        using var bytes = new MetricCollector<long>(meters, PackagesCleanupTelemetry.Name, "forge.packages.cleanup.bytes.freed");
        using var blobs = new MetricCollector<long>(meters, PackagesCleanupTelemetry.Name, "forge.packages.cleanup.blobs.deleted");
        using var runs = new MetricCollector<long>(meters, PackagesCleanupTelemetry.Name, "forge.packages.cleanup.runs");
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource(PackagesCleanupTelemetry.Name).AddInMemoryExporter(spans).Build())
        {
            await CleanupAsync();
        }

        var run = spans.Single(s => s.DisplayName == "cleanup_packages");
        Assert.Multiple(() =>
        {
            Assert.That(bytes.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(size));
            Assert.That(bytes.Instrument!.Unit, Is.EqualTo("By"));
            Assert.That(blobs.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
            Assert.That(runs.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("success"));
            Assert.That(spans.Where(s => s.ParentSpanId == run.SpanId).Select(s => s.DisplayName),
                Is.EqualTo(Steps));
        });
    }

    [Test]
    public async Task The_cleanup_command_prints_one_json_report_with_every_step_and_the_bytes_freed()
    {
        var (exit, output, _) = await CommandAsync("packages", "cleanup", "--json", "--dry-run", "--older-than", "0s");

        using var report = System.Text.Json.JsonDocument.Parse(output);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(0));
            Assert.That(report.RootElement.EnumerateObject().Select(p => p.Name), Is.SupersetOf(ReportKeys));
            Assert.That(report.RootElement.GetProperty("dryRun").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task The_fsck_command_exits_with_1_and_says_data_loss_when_a_file_is_missing()
    {
        var (_, hash, _) = await BlobWithHashAsync(w.Old);
        File.Delete(Store.PathOf(hash));

        var (exit, output, _) = await CommandAsync("packages", "fsck");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(output, Does.Contain("missing files (DATA LOSS): 1"));
            Assert.That(output, Does.Contain(hash));
        });
    }

    [Test]
    public async Task A_blob_created_exactly_at_the_cutoff_stays_and_one_second_older_goes()
    {
        var cutoff = w.Now - ForgeTestWorld.Day;
        var atCutoff = await BlobAsync(cutoff);
        var before = await BlobAsync(cutoff - 1);

        await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(atCutoff), Is.True);
            Assert.That(await BlobExistsAsync(before), Is.False);
        });
    }

    [Test]
    public async Task An_upload_session_started_long_ago_but_updated_recently_stays()
    {
        await w.ExecuteAsync("INSERT INTO package_blob_upload (id, bytes_received, created_unix, updated_unix) VALUES ('busy', 3, $1, $2)", w.Old, w.Young);

        var report = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.ExpiredUploads.Sessions, Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_blob_upload WHERE id = 'busy'"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Stale_staged_files_and_partial_files_without_a_session_are_swept_and_fresh_ones_stay()
    {
        var staleTemporary = await StrayFileAsync(Path.Combine(Store.Root, "tmp", "stale"), DateTime.UtcNow.AddDays(-3));
        var freshTemporary = await StrayFileAsync(Path.Combine(Store.Root, "tmp", "fresh"), DateTime.UtcNow);
        var orphanUpload = await StrayFileAsync(Store.UploadPathOf("gone"), DateTime.UtcNow.AddDays(-3));
        var liveUpload = await UploadAsync("live", w.Young);
        File.SetLastWriteTimeUtc(liveUpload, DateTime.UtcNow.AddDays(-3));

        var report = await CleanupAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.ExpiredUploads.StaleFiles, Is.EqualTo(2));
            Assert.That(File.Exists(staleTemporary), Is.False);
            Assert.That(File.Exists(orphanUpload), Is.False);
            Assert.That(File.Exists(freshTemporary), Is.True);
            Assert.That(File.Exists(liveUpload), Is.True, "its session is alive");
        });
    }

    [Test]
    public async Task A_content_file_that_cannot_be_removed_is_counted_the_run_goes_on_and_the_next_run_removes_it()
    {
        var (_, stuck, _) = await BlobWithHashAsync(w.Old);
        var (_, other, _) = await BlobWithHashAsync(w.Old);
        Hooks.RemoveContent = hash =>
        {
            if (hash == stuck)
            {
                throw new IOException("injected: permission denied");
            }
        };

        var report = await CleanupAsync();
        var fsck = await w.Service<ContentStoreCheck>().RunAsync(repair: false, TimeSpan.Zero, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.OrphanedBlobs.Blobs, Is.EqualTo(2));
            Assert.That(report.OrphanedBlobs.ContentFilesFailed, Is.EqualTo(1));
            Assert.That(report.OrphanedBlobs.ContentFilesRemoved, Is.EqualTo(1));
            Assert.That(Store.Exists(other), Is.False);
            Assert.That(fsck.StrayFiles, Is.EqualTo(new[] { stuck }), "still on disk");
        });
        Assert.That(await QueuedRemovalsAsync(), Is.EqualTo(new[] { stuck }), "kept in the queue");

        Hooks.RemoveContent = null;
        var next = await CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(next.OrphanedBlobs.ContentFilesRemoved, Is.EqualTo(1), "the next run tries again");
            Assert.That(Store.Exists(stuck), Is.False);
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_blob_held_by_a_push_in_progress_is_skipped_and_kept()
    {
        var blob = await BlobAsync(w.Old);
        await using var push = new NpgsqlConnection(w.Database.ConnectionString);
        await push.OpenAsync();
        await using var transaction = await push.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT id FROM package_blob WHERE id = $1 FOR KEY SHARE", push, transaction))
        {
            hold.Parameters.AddWithValue(blob);
            await hold.ExecuteNonQueryAsync();
        }

        var cleanup = CleanupAsync();
        var finished = await Task.WhenAny(cleanup, Task.Delay(TimeSpan.FromSeconds(30))) == cleanup;
        await transaction.CommitAsync();
        Assert.That(finished, Is.True, "the cleanup must skip a held blob, not wait for it");
        var report = await cleanup;

        Assert.Multiple(async () =>
        {
            Assert.That(report.OrphanedBlobs.Blobs, Is.Zero);
            Assert.That(await BlobExistsAsync(blob), Is.True);
        });
    }

    [Test]
    public async Task Content_removal_waits_for_a_push_of_the_same_content_and_then_keeps_the_file()
    {
        var (_, hash, size) = await BlobWithHashAsync(w.Old);
        await using var push = new NpgsqlConnection(w.Database.ConnectionString);
        await push.OpenAsync();
        NpgsqlTransaction? pushing = null;
        Task? finishing = null;
        Hooks.BeforeContentRemoval = async removed =>
        {
            // A push of the same bytes holds the content lock when the cleanup comes to remove the file.
            pushing = await push.BeginTransactionAsync();
            await BlobContentLock.AcquireSharedAsync(push, pushing, removed, CancellationToken.None);
            finishing = Task.Run(async () =>
            {
                await Wait.UntilAsync(async () => await w.CountAsync(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'") > 0);
                await using (var insert = new NpgsqlCommand(
                    "INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix) VALUES ($1, $2, $3, $4, $5, $6)", push, pushing))
                {
                    insert.Parameters.AddWithValue(size);
                    insert.Parameters.AddWithValue(removed[..32]);
                    insert.Parameters.AddWithValue(removed[..40]);
                    insert.Parameters.AddWithValue(removed);
                    insert.Parameters.AddWithValue(removed + removed);
                    insert.Parameters.AddWithValue(w.Now);
                    await insert.ExecuteNonQueryAsync();
                }

                await pushing.CommitAsync();
            });
        };

        var report = await CleanupAsync();
        await finishing!;

        Assert.Multiple(() =>
        {
            Assert.That(report.OrphanedBlobs.ContentFilesReused, Is.EqualTo(1));
            Assert.That(Store.Exists(hash), Is.True);
        });
    }

    [Test]
    public async Task A_chained_run_waits_for_the_run_in_progress_instead_of_skipping()
    {
        var orphan = await BlobAsync(w.Old);
        await using var other = new NpgsqlConnection(w.Database.ConnectionString);
        await other.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock($1)", other))
        {
            hold.Parameters.AddWithValue(ExpiredDataCleanup.RunLockKey);
            await hold.ExecuteNonQueryAsync();
        }

        var chained = w.Service<ExpiredDataCleanup>().RunAsync(new ExpiredDataOptions(TimeSpan.FromHours(24), false, WaitForLock: true), CancellationToken.None);
        await Wait.UntilAsync(async () => await w.CountAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'") > 0);
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", other))
        {
            release.Parameters.AddWithValue(ExpiredDataCleanup.RunLockKey);
            await release.ExecuteNonQueryAsync();
        }

        var report = await chained;

        Assert.Multiple(async () =>
        {
            Assert.That(report.Skipped, Is.False);
            Assert.That(await BlobExistsAsync(orphan), Is.False);
        });
    }

    [Test]
    public async Task A_run_while_another_holds_the_lock_is_skipped()
    {
        await using var connection = new NpgsqlConnection(w.Database.ConnectionString);
        await connection.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection))
        {
            hold.Parameters.AddWithValue(ExpiredDataCleanup.RunLockKey);
            await hold.ExecuteNonQueryAsync();
        }

        var report = await CleanupAsync();

        Assert.That(report.Skipped, Is.True);
    }

    private async Task<(int Exit, string Output, string Error)> CommandAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Forge.Host.Cli.ForgeCommandLine.RunAsync(
            args,
            new Forge.Host.Hosting.ForgeAppOptions { Settings = ForgeSettings.For(w.Database.ConnectionString, ("Forge:Packages:StorePath", w.StorePath)) },
            output,
            error);
        return (exit, output.ToString(), error.ToString());
    }

    private Task<ExpiredDataReport> CleanupAsync(bool dryRun = false)
        => w.Service<ExpiredDataCleanup>().RunAsync(new ExpiredDataOptions(TimeSpan.FromHours(24), dryRun), CancellationToken.None);

    private static async Task<string> StrayFileAsync(string path, DateTime written)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [1, 2, 3, 4]);
        File.SetLastWriteTimeUtc(path, written);
        return path;
    }

    private async Task<string> UploadAsync(string id, long updated)
    {
        await w.ExecuteAsync("INSERT INTO package_blob_upload (id, bytes_received, created_unix, updated_unix) VALUES ($1, 3, $2, $2)", id, updated);
        var path = Store.UploadPathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        return path;
    }

    private async Task<long> UploadVersionAsync(long package)
        => await w.ScalarAsync<long>(
            "INSERT INTO package_version (package_id, version, lower_version, created_unix, is_internal, metadata_json) VALUES ($1, '_upload', '_upload', $2, true, 'null') RETURNING id",
            package, w.Old);

    private async Task<long> FileAsync(long version, long blob, long created, string name)
    {
        var file = await w.ScalarAsync<long>(
            "INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, created_unix) VALUES ($1, $2, $3, $3, '', $4) RETURNING id",
            version, blob, name, created);
        await w.PropertyAsync(1, file, "container.digest", "sha256:x");
        return file;
    }

    private async Task<long> BlobAsync(long created) => (await BlobWithHashAsync(created)).Id;

    private async Task<(long Id, string Hash, long Size)> BlobWithHashAsync(long created)
    {
        using var content = new MemoryStream(RandomNumberGenerator.GetBytes(1000 + RandomNumberGenerator.GetInt32(1000)));
        var (hash, size) = await Store.SaveAsync(content, CancellationToken.None);
        return (await InsertBlobRowAsync(hash, size, created), hash, size);
    }

    private async Task<long> InsertBlobRowAsync(string hash, long size, long created)
        => await w.ScalarAsync<long>(
            "INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            size, hash[..32], hash[..40], hash, hash + hash, created);

    /// <summary>A run that stops between the commit that deleted the blob rows and the removal of their files.</summary>
    private async Task CrashAfterTheCommitAsync()
    {
        Hooks.BeforeContentRemoval = _ => throw new IOException("injected crash between commit and removal");
        Assert.That(async () => await CleanupAsync(), Throws.InstanceOf<IOException>());
        Hooks.BeforeContentRemoval = null;
    }

    private Task<List<string>> QueuedRemovalsAsync() => w.Database.ColumnAsync("SELECT hash_sha256 FROM forge_content_removal ORDER BY 1");

    private async Task<bool> BlobExistsAsync(long id) => await w.CountAsync("SELECT count(*) FROM package_blob WHERE id = $1", id) == 1;
}
