using System.Diagnostics;
using System.Diagnostics.Metrics;
using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
using Forge.Packages.Fsck;
using Forge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Forge.Packages.Tests;

/// <summary>
/// The expired-data cleanup and fsck against a real PostgreSQL, with each content store: the folder, and a bucket of a
/// real S3 server.
/// </summary>
[NonParallelizable]
[TestFixtureSource(typeof(StorageSettingsUnderTest), nameof(StorageSettingsUnderTest.Kinds))]
public sealed class ExpiredDataCleanupTests(string storage)
{
    private static readonly string[] ReportKeys = ["dryRun", "skipped", "olderThanSeconds", "cutoffUnix", "emptyPackages", "orphanedBlobs", "bytesFreed"];

    private ForgeTestWorld w = null!;

    private ExpiredDataCleanupHooks hooks = null!;

    private IContentStore Store => w.Service<IContentStore>();

    [SetUp]
    public async Task CreateWorld()
    {
        // The cleanup's test seams: registered by the test, never by the module.
        hooks = new ExpiredDataCleanupHooks();
        w = await ForgeTestWorld.CreateAsync(services => services.AddSingleton(hooks), settings: await StorageSettingsUnderTest.ForAsync(storage));
        Assert.That(Store.Description, Does.StartWith(storage == "s3" ? "s3 bucket " : "folder "), "the world runs on the store under test");
    }

    [TearDown]
    public async Task DropWorld() => await w.DisposeAsync();

    [Test]
    public async Task The_module_registers_no_test_seams()
    {
        await using var plain = await ForgeTestWorld.CreateAsync();

        Assert.That(plain.App.Services.GetService<ExpiredDataCleanupHooks>(), Is.Null);
    }

    [Test]
    public async Task A_step_another_module_contributes_runs_before_the_packages_steps_and_a_dry_run_foresees_what_it_frees()
    {
        await using var world = await ForgeTestWorld.CreateAsync(services => services.AddSingleton<IExpiredDataStep, ExpendableFilesStep>());
        var version = await world.VersionAsync(await world.PackageAsync("app", type: "test"), "1.0", world.Old, null);
        var (blob, _, _) = await world.BlobAsync(world.Old);
        await world.FileAsync(version, blob, world.Old, ExpendableFilesStep.FileName);

        var dry = await world.ExpiredDataCleanupAsync(dryRun: true);
        var real = await world.ExpiredDataCleanupAsync();

        using var json = System.Text.Json.JsonDocument.Parse(real.ToJson());
        Assert.Multiple(async () =>
        {
            Assert.That(dry.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(1), "the dry run counts the blob its forecast frees");
            Assert.That(real.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(1), "freed in the same run");
            Assert.That(real.Step<ExpendableFilesReport>().Files, Is.EqualTo(1));
            Assert.That(json.RootElement.GetProperty("expendableFiles").GetProperty("files").GetInt64(), Is.EqualTo(1));
            Assert.That(real.Summary(), Does.Contain("1 expendable file(s), 0 empty package(s), 1 orphaned blob(s)"), "before the packages steps");
            Assert.That(await world.VersionExistsAsync(version), Is.True);
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

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<EmptyPackagesReport>(), Is.EqualTo(new EmptyPackagesReport { Packages = 1, Properties = 1 }));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package WHERE id = $1", empty), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", packageProperty), Is.Zero);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", sameIdOtherKind), Is.EqualTo(1));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package WHERE id = $1", used), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Orphaned_blobs_older_than_the_cutoff_go_with_their_content_and_the_rest_stays()
    {
        var (orphan, orphanHash, size) = await w.BlobAsync(w.Old);
        var (young, youngHash, _) = await w.BlobAsync(w.Young);
        var (used, usedHash, _) = await w.BlobAsync(w.Old);
        var version = await w.VersionAsync(await w.PackageAsync("app"), "v1", w.Old, null);
        await w.FileAsync(version, used, w.Old, "layer");

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(1));
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesRemoved, Is.EqualTo(1));
            Assert.That(report.BytesFreed, Is.EqualTo(size));
            Assert.That(await BlobExistsAsync(orphan), Is.False);
            Assert.That(w.HasContent(orphanHash), Is.False);
            Assert.That(await BlobExistsAsync(young), Is.True);
            Assert.That(w.HasContent(youngHash), Is.True);
            Assert.That(await BlobExistsAsync(used), Is.True);
            Assert.That(w.HasContent(usedHash), Is.True);
        });
    }

    [Test]
    public async Task A_blob_shared_by_a_deleted_and_a_kept_version_stays()
    {
        var shared = (await w.BlobAsync(w.Old)).Id;
        var package = await w.PackageAsync("app");
        var gone = await w.VersionAsync(package, "sha256:" + new string('a', 64), w.Old, null);
        var kept = await w.VersionAsync(package, "v1", w.Old, null);
        var goneFile = await w.FileAsync(gone, shared, w.Old, "layer");
        await w.FileAsync(kept, shared, w.Old, "layer");
        await w.ExecuteAsync("DELETE FROM package_file WHERE id = $1", goneFile);
        await w.ExecuteAsync("DELETE FROM package_version WHERE id = $1", gone);

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().Blobs, Is.Zero);
            Assert.That(await BlobExistsAsync(shared), Is.True);
        });
    }

    [Test]
    public async Task The_database_refuses_to_delete_a_blob_that_a_file_uses()
    {
        var blob = (await w.BlobAsync(w.Old)).Id;
        await w.FileAsync(await w.VersionAsync(await w.PackageAsync("app"), "v1", w.Old, null), blob, w.Old, "layer");

        var failure = Assert.ThrowsAsync<PostgresException>(async () => await w.ExecuteAsync("DELETE FROM package_blob WHERE id = $1", blob));

        Assert.That(failure!.SqlState, Is.EqualTo(PostgresErrorCodes.ForeignKeyViolation));
    }

    [Test]
    public async Task A_blob_that_gains_a_file_while_the_cleanup_runs_is_kept()
    {
        var (blob, hash, _) = await w.BlobAsync(w.Old);
        var version = await w.VersionAsync(await w.PackageAsync("app"), "v1", w.Old, null);
        hooks.BeforeBlobLock = async ids =>
        {
            if (ids.Contains(blob))
            {
                await w.FileAsync(version, blob, w.Now, "late");
            }
        };

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().Blobs, Is.Zero);
            Assert.That(await BlobExistsAsync(blob), Is.True);
            Assert.That(w.HasContent(hash), Is.True);
        });
    }

    [Test]
    public async Task Content_uploaded_again_after_its_row_went_keeps_its_file()
    {
        var (_, hash, size) = await w.BlobAsync(w.Old);
        hooks.BeforeContentRemoval = async removed =>
        {
            // A push of the same bytes between the cleanup's commit and its file removal.
            await w.BlobRowAsync(removed, size, w.Now);
        };

        var report = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(1));
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesReused, Is.EqualTo(1));
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesRemoved, Is.Zero);
            Assert.That(w.HasContent(hash), Is.True);
        });
    }

    [Test]
    public async Task A_crash_after_the_commit_leaves_stray_files_that_fsck_finds_and_repair_removes()
    {
        var (blob, hash, _) = await w.BlobAsync(w.Old);
        Assume.That(storage, Is.EqualTo("local"), "a bucket's objects cannot be made older than they are");
        File.SetLastWriteTimeUtc(w.Service<FolderContentStore>().PathOf(hash), DateTime.UtcNow.AddDays(-3));

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
            Assert.That(w.HasContent(hash), Is.False);
            Assert.That(after.StrayFiles, Is.Empty);
        });
    }

    [Test]
    public async Task A_crash_after_the_commit_leaves_the_file_queued_and_the_next_run_removes_it()
    {
        var (blob, hash, size) = await w.BlobAsync(w.Old);
        await CrashAfterTheCommitAsync();
        var queuedAfterCrash = await QueuedRemovalsAsync();

        var next = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(blob), Is.False, "the row's deletion committed");
            Assert.That(queuedAfterCrash, Is.EqualTo(new[] { hash }), "queued in the transaction that deleted the row");
            Assert.That(w.HasContent(hash), Is.False, "the next run removed the file");
            Assert.That(next.Step<OrphanedBlobsReport>().ContentFilesRemoved, Is.EqualTo(1));
            Assert.That(next.BytesFreed, Is.EqualTo(size));
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_queued_file_whose_content_was_uploaded_again_is_kept_and_dequeued()
    {
        var (blob, hash, size) = await w.BlobAsync(w.Old);
        await CrashAfterTheCommitAsync();
        var again = await w.BlobRowAsync(hash, size, w.Now);

        var next = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(again), Is.True);
            Assert.That(w.HasContent(hash), Is.True, "the new row names the file");
            Assert.That(next.Step<OrphanedBlobsReport>().ContentFilesReused, Is.EqualTo(1));
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_queued_entry_that_is_no_hash_is_counted_as_failed_once_and_dropped()
    {
        await w.ExecuteAsync("INSERT INTO forge_content_removal (hash_sha256, queued_unix) VALUES ($1, 0)", new string('z', 64));

        var report = await w.ExpiredDataCleanupAsync();
        var next = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesFailed, Is.EqualTo(1));
            Assert.That(next.Step<OrphanedBlobsReport>().ContentFilesFailed, Is.Zero, "not tried again on every run");
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task Repair_leaves_stray_files_younger_than_the_cutoff_alone()
    {
        var (blob, hash, _) = await w.BlobAsync(w.Old);
        await w.ExecuteAsync("DELETE FROM package_blob WHERE id = $1", blob);

        var report = await w.Service<ContentStoreCheck>().RunAsync(repair: true, TimeSpan.FromHours(24), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.StrayFiles, Is.EqualTo(new[] { hash }));
            Assert.That(report.StrayFilesRemoved, Is.Zero);
            Assert.That(w.HasContent(hash), Is.True);
        });
    }

    [Test]
    public async Task Fsck_reports_missing_and_corrupt_files_loudly_and_repair_never_deletes_a_row()
    {
        var (missing, missingHash, _) = await w.BlobAsync(w.Old);
        var (_, corruptHash, _) = await w.BlobAsync(w.Old);
        await Store.DeleteAsync(missingHash, CancellationToken.None);
        await w.PlantContentAsync(corruptHash, [1, 2, 3]);

        var report = await w.Service<ContentStoreCheck>().RunAsync(repair: true, TimeSpan.Zero, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(report.Healthy, Is.False);
            Assert.That(report.MissingFiles, Is.EqualTo(new[] { missingHash }));
            Assert.That(report.CorruptFiles, Is.EqualTo(new[] { corruptHash }));
            Assert.That(await BlobExistsAsync(missing), Is.True);
            Assert.That(w.HasContent(corruptHash), Is.True);
        });
    }

    [Test]
    public async Task A_run_counts_what_it_freed_and_traces_one_span_per_step()
    {
        var (_, _, size) = await w.BlobAsync(w.Old);
        var meters = w.Service<IMeterFactory>();
        using var bytes = new MetricCollector<long>(meters, ExpiredDataCleanupTelemetry.Name, "forge.packages.cleanup.bytes.freed");
        using var blobs = new MetricCollector<long>(meters, ExpiredDataCleanupTelemetry.Name, "forge.packages.cleanup.blobs.deleted");
        using var runs = new MetricCollector<long>(meters, ExpiredDataCleanupTelemetry.Name, "forge.packages.cleanup.runs");
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource(ExpiredDataCleanupTelemetry.Name).AddInMemoryExporter(spans).Build())
        {
            await w.ExpiredDataCleanupAsync();
        }

        var run = spans.Single(s => s.DisplayName == "cleanup_packages");
        Assert.Multiple(() =>
        {
            Assert.That(bytes.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(size));
            Assert.That(bytes.Instrument!.Unit, Is.EqualTo("By"));
            Assert.That(blobs.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
            Assert.That(runs.GetMeasurementSnapshot().Single().Tags["outcome"], Is.EqualTo("success"));
            Assert.That(spans.Where(s => s.ParentSpanId == run.SpanId).Select(s => s.DisplayName),
                Is.EqualTo(w.Service<IEnumerable<IExpiredDataStep>>().OrderBy(s => s.Order).Select(s => s.Name)));
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
        var (_, hash, _) = await w.BlobAsync(w.Old);
        await Store.DeleteAsync(hash, CancellationToken.None);

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
        var atCutoff = (await w.BlobAsync(cutoff)).Id;
        var before = (await w.BlobAsync(cutoff - 1)).Id;

        await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await BlobExistsAsync(atCutoff), Is.True);
            Assert.That(await BlobExistsAsync(before), Is.False);
        });
    }

    [Test]
    public async Task A_content_file_that_cannot_be_removed_is_counted_the_run_goes_on_and_the_next_run_removes_it()
    {
        var (_, stuck, _) = await w.BlobAsync(w.Old);
        var (_, other, _) = await w.BlobAsync(w.Old);
        hooks.RemoveContent = hash =>
        {
            if (hash == stuck)
            {
                throw new IOException("injected: permission denied");
            }
        };

        var report = await w.ExpiredDataCleanupAsync();
        var fsck = await w.Service<ContentStoreCheck>().RunAsync(repair: false, TimeSpan.Zero, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().Blobs, Is.EqualTo(2));
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesFailed, Is.EqualTo(1));
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesRemoved, Is.EqualTo(1));
            Assert.That(w.HasContent(other), Is.False);
            Assert.That(fsck.StrayFiles, Is.EqualTo(new[] { stuck }), "still on disk");
        });
        Assert.That(await QueuedRemovalsAsync(), Is.EqualTo(new[] { stuck }), "kept in the queue");

        hooks.RemoveContent = null;
        var next = await w.ExpiredDataCleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(next.Step<OrphanedBlobsReport>().ContentFilesRemoved, Is.EqualTo(1), "the next run tries again");
            Assert.That(w.HasContent(stuck), Is.False);
            Assert.That(await QueuedRemovalsAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_blob_held_by_a_push_in_progress_is_skipped_and_kept()
    {
        var blob = (await w.BlobAsync(w.Old)).Id;
        await using var push = new NpgsqlConnection(w.Database.ConnectionString);
        await push.OpenAsync();
        await using var transaction = await push.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT id FROM package_blob WHERE id = $1 FOR KEY SHARE", push, transaction))
        {
            hold.Parameters.AddWithValue(blob);
            await hold.ExecuteNonQueryAsync();
        }

        var cleanup = w.ExpiredDataCleanupAsync();
        var finished = await Task.WhenAny(cleanup, Task.Delay(TimeSpan.FromSeconds(30))) == cleanup;
        await transaction.CommitAsync();
        Assert.That(finished, Is.True, "the cleanup must skip a held blob, not wait for it");
        var report = await cleanup;

        Assert.Multiple(async () =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().Blobs, Is.Zero);
            Assert.That(await BlobExistsAsync(blob), Is.True);
        });
    }

    [Test]
    public async Task Content_removal_waits_for_a_push_of_the_same_content_and_then_keeps_the_file()
    {
        var (_, hash, size) = await w.BlobAsync(w.Old);
        await using var push = new NpgsqlConnection(w.Database.ConnectionString);
        await push.OpenAsync();
        NpgsqlTransaction? pushing = null;
        Task? finishing = null;
        hooks.BeforeContentRemoval = async removed =>
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

        var report = await w.ExpiredDataCleanupAsync();
        await finishing!;

        Assert.Multiple(() =>
        {
            Assert.That(report.Step<OrphanedBlobsReport>().ContentFilesReused, Is.EqualTo(1));
            Assert.That(w.HasContent(hash), Is.True);
        });
    }

    [Test]
    public async Task A_chained_run_waits_for_the_run_in_progress_instead_of_skipping()
    {
        var orphan = (await w.BlobAsync(w.Old)).Id;
        await using var other = new NpgsqlConnection(w.Database.ConnectionString);
        await other.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock($1)", other))
        {
            hold.Parameters.AddWithValue(ExpiredDataCleanup.RunLockKey);
            await hold.ExecuteNonQueryAsync();
        }

        var chained = w.Service<ExpiredDataCleanup>().RunAsync(new ExpiredDataCleanupOptions(TimeSpan.FromHours(24), false, WaitForLock: true), CancellationToken.None);
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

        var report = await w.ExpiredDataCleanupAsync();

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

    /// <summary>A run that stops between the commit that deleted the blob rows and the removal of their files.</summary>
    private async Task CrashAfterTheCommitAsync()
    {
        hooks.BeforeContentRemoval = _ => throw new IOException("injected crash between commit and removal");
        Assert.That(async () => await w.ExpiredDataCleanupAsync(), Throws.InstanceOf<IOException>());
        hooks.BeforeContentRemoval = null;
    }

    private Task<List<string>> QueuedRemovalsAsync() => w.Database.ColumnAsync("SELECT hash_sha256 FROM forge_content_removal ORDER BY 1");

    private async Task<bool> BlobExistsAsync(long id) => await w.CountAsync("SELECT count(*) FROM package_blob WHERE id = $1", id) == 1;

    /// <summary>A step of another module, as the registry's are: it removes files named <see cref="FileName"/>, and its forecast says so.</summary>
    private sealed class ExpendableFilesStep : IExpiredDataStep
    {
        public const string FileName = "expendable";

        public string Name => "expendable_files";

        public string ReportKey => "expendableFiles";

        public int Order => 50;

        public ExpiredDataForecast Forecast { get; } = new($"f.name = '{FileName}'", null);

        public ExpiredDataStepReport NothingDone { get; } = new ExpendableFilesReport();

        public async Task<ExpiredDataStepReport> RunAsync(ExpiredDataRun run)
        {
            await using var command = new NpgsqlCommand(
                run.DryRun ? "SELECT count(*) FROM package_file WHERE name = $1" : "WITH d AS (DELETE FROM package_file WHERE name = $1 RETURNING 1) SELECT count(*) FROM d",
                run.Connection);
            command.Parameters.AddWithValue(FileName);
            return new ExpendableFilesReport { Files = (long)(await command.ExecuteScalarAsync(run.CancellationToken))! };
        }
    }

    private sealed record ExpendableFilesReport : ExpiredDataStepReport
    {
        public long Files { get; init; }

        public override string Line(string verb, bool dryRun) => $"expendable files: {verb} {Files}";

        public override string SummaryPart() => $"{Files} expendable file(s)";
    }
}
