using System.Text.Json;
using Forge.Host.Cli;
using Forge.Host.Hosting;
using Forge.Host.Scheduling;
using Forge.Modularity;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Data;
using Forge.Testing;
using Npgsql;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>The cleanup as operators start it: the cron task on its schedule and at start, and the command.</summary>
[NonParallelizable]
public sealed class CleanupEntryPointTests
{
    private static readonly string[] ReportKeys =
    [
        "dryRun", "skipped", "olderThanSeconds", "cutoffUnix", "scannedVersions", "digestVersions", "unreferencedVersions",
        "tooYoungVersions", "sparedVersions", "deletedVersions", "deletedFiles", "deletedProperties", "malformedVersionIds", "candidates",
    ];

    [Test]
    public async Task The_cron_task_runs_at_start_and_then_on_its_schedule_and_deletes_an_orphan()
    {
        await using var h = await CleanupHarness.CreateAsync(
            useScheduler: true,
            settings: [("Forge:Cron:cleanup_container_sha256:Schedule", "@every 1s"), ("Forge:Cron:cleanup_container_sha256:OlderThan", "1h")]);
        var orphan = await h.PushPlatformAsync("demo/app", h.Old);

        await h.App.Host.StartAsync();
        try
        {
            await Wait.UntilAsync(async () => await h.CountAsync(
                "SELECT count(DISTINCT trigger) FROM forge_cron_run WHERE task = 'cleanup_container_sha256' AND outcome = 'success'") == 2);
        }
        finally
        {
            await h.App.Host.StopAsync();
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(orphan.VersionId), Is.False);
            Assert.That(await h.CountAsync("SELECT count(*) FROM forge_cron_run WHERE task = 'cleanup_container_sha256' AND trigger = 'start'"), Is.EqualTo(1));
            Assert.That(await h.CountAsync("SELECT count(*) FROM forge_cron_run WHERE task = 'cleanup_container_sha256' AND trigger = 'schedule'"), Is.GreaterThanOrEqualTo(1));
        });
    }

    [Test]
    public async Task A_container_cleanup_that_deleted_something_is_followed_by_the_expired_data_cleanup_which_frees_the_disk()
    {
        await using var h = await CleanupHarness.CreateAsync();
        var kept = await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var orphan = await h.PushPlatformAsync("demo/app", h.Old);
        var orphanFiles = await BlobHashesAsync(h, orphan.VersionId);
        Assert.That(await h.ContentExistsAsync(orphanFiles), Has.All.True);

        var report = await h.Service<CronRunner>().RunAsync(DanglingImageCleanupTask.Name, CronRunTrigger.Manual, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(report.Outcome, Is.EqualTo(CronRunOutcome.Success));
            Assert.That(await h.CountAsync("SELECT count(*) FROM forge_cron_run WHERE task = 'cleanup_packages' AND trigger = 'chained' AND outcome = 'success'"), Is.EqualTo(1));
            Assert.That(await h.ContentExistsAsync(orphanFiles), Has.None.True, "the deleted image's blobs are gone from disk");
            Assert.That(await h.ContentExistsAsync(await BlobHashesAsync(h, kept.VersionId)), Has.All.True);
        });
    }

    [Test]
    public async Task A_container_cleanup_that_deleted_nothing_is_not_followed()
    {
        await using var h = await CleanupHarness.CreateAsync();

        await h.Service<CronRunner>().RunAsync(DanglingImageCleanupTask.Name, CronRunTrigger.Manual, CancellationToken.None);

        Assert.That(await h.CountAsync("SELECT count(*) FROM forge_cron_run WHERE task = 'cleanup_packages'"), Is.Zero);
    }

    [Test]
    public async Task The_cron_task_defaults_are_those_of_the_issue()
    {
        await using var h = await CleanupHarness.CreateAsync();
        var task = h.App.CronTasks.Find(DanglingImageCleanupTask.Name)!;

        Assert.Multiple(() =>
        {
            Assert.That(task.Enabled, Is.True);
            Assert.That(task.RunAtStart, Is.True);
            Assert.That(task.Schedule.Text, Is.EqualTo("@midnight"));
            Assert.That(DanglingImageCleanupTask.OptionsFrom(task.Settings), Is.EqualTo(new DanglingImageCleanupOptions(TimeSpan.FromHours(24), 500, false, ListedCandidates: 0)));
        });
    }

    [Test]
    public async Task The_command_with_json_prints_exactly_one_report_object_with_every_key()
    {
        await using var database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        var (exit, output, _) = await CommandAsync(database, "packages", "container", "cleanup-sha256", "--json", "--older-than", "0s", "--batch-size", "2");

        using var report = JsonDocument.Parse(output);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(0));
            Assert.That(report.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(report.RootElement.EnumerateObject().Select(p => p.Name), Is.SupersetOf(ReportKeys));
            Assert.That(report.RootElement.GetProperty("olderThanSeconds").GetInt64(), Is.Zero);
        });
    }

    [Test]
    public async Task The_command_exits_with_3_and_reports_skipped_while_another_run_holds_the_lock()
    {
        await using var database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection))
        {
            hold.Parameters.AddWithValue(NpgsqlDanglingImageStore.RunLockKey);
            await hold.ExecuteNonQueryAsync();
        }

        var (exit, output, _) = await CommandAsync(database, "packages", "container", "cleanup-sha256", "--json");

        using var report = JsonDocument.Parse(output);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(3));
            Assert.That(report.RootElement.GetProperty("skipped").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task The_command_refuses_a_bad_duration_in_one_line_without_touching_the_database()
    {
        await using var database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        var (exit, output, error) = await CommandAsync(database, "packages", "container", "cleanup-sha256", "--older-than", "3 days");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(output, Is.Empty);
            Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(error, Does.Contain("--older-than '3 days'"));
        });
    }

    [Test]
    public async Task A_bad_OlderThan_setting_stops_the_host_naming_the_key_and_the_value()
    {
        await using var database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        var (exit, _, error) = await CommandAsync(database, [("Forge:Cron:cleanup_container_sha256:OlderThan", "yesterday")], "cron", "list");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(error, Does.Contain("Forge:Cron:cleanup_container_sha256:OlderThan is 'yesterday'"));
        });
    }

    [Test]
    public async Task The_command_prints_a_human_summary_without_json()
    {
        await using var h = await CleanupHarness.CreateAsync();
        await h.PushPlatformAsync("demo/app", h.Old);

        var (exit, output, _) = await CommandAsync(h.Database, "packages", "container", "cleanup-sha256", "--dry-run");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(0));
            Assert.That(output, Does.Contain("dry run"));
            Assert.That(output, Does.Contain("would delete 1 version(s)"));
            Assert.That(output, Does.Contain("delete (dry run)"));
        });
    }

    private static async Task<List<string>> BlobHashesAsync(CleanupHarness h, long versionId)
    {
        await using var connection = new NpgsqlConnection(h.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT b.hash_sha256 FROM package_file f JOIN package_blob b ON b.id = f.blob_id WHERE f.version_id = $1", connection);
        command.Parameters.AddWithValue(versionId);
        var hashes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            hashes.Add(reader.GetString(0));
        }

        return hashes;
    }

    private static Task<(int Exit, string Output, string Error)> CommandAsync(TestDatabase database, params string[] args)
        => CommandAsync(database, [], args);

    private static async Task<(int Exit, string Output, string Error)> CommandAsync(TestDatabase database, (string, string?)[] settings, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ForgeCommandLine.RunAsync(args, new ForgeAppOptions { Settings = ForgeSettings.For(database.ConnectionString, settings) }, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
