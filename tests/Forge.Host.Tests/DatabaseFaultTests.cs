using System.Diagnostics.Metrics;
using Forge.Host.Database;
using Forge.Host.Hosting;
using Forge.Host.Scheduling;
using Forge.Host.Tests.Support;
using Forge.Modularity;
using Forge.Packages.ExpiredData;
using Forge.Packages.Container;
using Forge.Packages.Container.Cleanup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace Forge.Host.Tests;

/// <summary>
/// The database fails under a scheduled run of the real container cleanup: its session is terminated
/// (<c>pg_terminate_backend</c>), or PostgreSQL restarts. The run ends as a failure, logged and counted;
/// the host keeps running and the next scheduled run succeeds. <c>FORGE_SOAK_ROUNDS</c> repeats the fault.
/// </summary>
[Category("Reliability")]
public sealed class DatabaseFaultTests : DatabaseTest
{
    private const string Task = DanglingImageCleanupTask.Name;

    [Test]
    public async Task A_run_whose_session_is_terminated_fails_and_the_next_scheduled_run_succeeds()
    {
        await using var host = await FaultyHost.StartAsync(Database.ConnectionString, clustered: false);

        for (var round = 1; round <= SoakRounds.Count; round++)
        {
            var (blocked, faultAt) = await CleanupRunHold.WhileARunWaitsAsync(Database.ConnectionString, async run =>
            {
                await Database.ScalarAsync<bool>($"SELECT pg_terminate_backend({run.BackendPid})");
                return DateTimeOffset.UtcNow;
            });

            await host.AssertFailedAndRecoveredAsync(blocked, faultAt, "terminating connection due to administrator command", round);
        }
    }

    [Test]
    public async Task A_run_during_a_PostgreSQL_restart_fails_and_the_next_scheduled_run_succeeds()
    {
        // A private cluster: the shared one serves the other tests.
        await using var scratch = new ScratchDirectory();
        await using var server = await EmbeddedPostgres.StartAsync(Path.Combine(scratch.Path, "postgres"));
        await using var host = await FaultyHost.StartAsync(server.ConnectionString, clustered: true);

        for (var round = 1; round <= SoakRounds.Count; round++)
        {
            var (blocked, faultAt) = await CleanupRunHold.WhileARunWaitsAsync(server.ConnectionString, async _ =>
            {
                await server.RestartAsync(CancellationToken.None);
                return DateTimeOffset.UtcNow;
            });

            await host.AssertFailedAndRecoveredAsync(blocked, faultAt, "terminating connection due to administrator command", round);
        }
    }

    [Test]
    public async Task A_run_that_cannot_be_recorded_does_not_run_and_counts_as_a_failure()
    {
        const string task = "unrecordable";
        // The database refuses the record (not a passing outage, so there is nothing to wait for).
        await Database.ScalarAsync<object>(
            $$"""
            CREATE FUNCTION refuse_run() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no runs of %', NEW.task; END $$;
            CREATE TRIGGER refuse_run BEFORE INSERT ON forge_cron_run FOR EACH ROW WHEN (NEW.task = '{{task}}') EXECUTE FUNCTION refuse_run();
            """);
        var module = TestModule.WithCronTask(CronTaskDefinition.For<ProbeTask>(task, "A task whose runs cannot be recorded"));
        await using var app = await ForgeApp.CreateAsync(TestHosts.Options(Database, module, useScheduler: false));
        using var runs = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), HostTelemetry.Name, "forge.cron.runs");

        var report = await app.Services.GetRequiredService<CronRunner>().RunAsync(task, CronRunTrigger.Manual, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.Outcome, Is.EqualTo(CronRunOutcome.Failure));
            Assert.That(report.Summary, Does.StartWith("not run: its run could not be recorded").And.Contain($"no runs of {task}"));
            Assert.That(CronTaskProbe.RunsOf(task), Is.Empty, "the task did not run");
            Assert.That(runs.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["outcome"])), Is.EqualTo(new[] { (1L, (object?)"failure") }));
        });
    }

    /// <summary>A host in this process running the container cleanup every second, with its logs and run counters collected.</summary>
    private sealed class FaultyHost : IAsyncDisposable
    {
        private readonly RunningHost host;
        private readonly string connectionString;
        private readonly MetricCollector<long> cronRuns;
        private readonly MetricCollector<long> cleanupRuns;

        private FaultyHost(RunningHost host, string connectionString)
        {
            this.host = host;
            this.connectionString = connectionString;
            var meters = host.App.Services.GetRequiredService<IMeterFactory>();
            cronRuns = new MetricCollector<long>(meters, HostTelemetry.Name, "forge.cron.runs");
            cleanupRuns = new MetricCollector<long>(meters, ContainerModule.TelemetryName, "forge.packages.container.cleanup.runs");
        }

        public static async Task<FaultyHost> StartAsync(string connectionString, bool clustered)
        {
            var options = TestHosts.Options(
                connectionString,
                new TestModule(TestModule.DefaultName),
                moduleEnabled: false,
                useScheduler: true,
                ("Forge:Scheduler:Clustered", clustered ? "true" : "false"),
                ($"Forge:Cron:{Task}:Schedule", "* * * * * ?"),
                ($"Forge:Cron:{Task}:RunAtStart", "false"),
                ($"Forge:Cron:{ExpiredDataCleanupTask.Name}:Enabled", "false"));
            var host = await RunningHost.StartAsync(
                new ForgeAppOptions { Catalog = options.Catalog, Settings = options.Settings, UseScheduler = true, ConfigureServices = s => s.AddFakeLogging() },
                migrate: true);
            var faulty = new FaultyHost(host, connectionString);
            await faulty.WaitForSuccessAfterAsync(DateTimeOffset.MinValue);
            return faulty;
        }

        public async Task AssertFailedAndRecoveredAsync(BlockedRun blocked, DateTimeOffset faultAt, string cause, int round)
        {
            var failed = await Poll.UntilAsync(() => RecordedRuns.OfAsync(connectionString, Task), runs => runs.Single(r => r.Id == blocked.RunId).Outcome is not null);
            var next = await WaitForSuccessAfterAsync(faultAt);
            var record = failed.Single(r => r.Id == blocked.RunId);
            var between = (await RecordedRuns.OfAsync(connectionString, Task)).Where(r => r.Id > blocked.RunId && r.Id < next?.Id).ToList();
            var errors = host.App.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().Where(l => l.Level >= LogLevel.Error).ToList();
            TestContext.Progress.WriteLine(
                $"round {round}: run {blocked.RunId} {record.Outcome} ({record.Summary}); next success: run {next?.Id} fired {next?.ScheduledFor:HH:mm:ss.fff}, " +
                $"{((next?.StartedAt ?? faultAt) - faultAt).TotalSeconds:0.0}s after the fault; runs in between: {between.Count} " +
                $"({string.Join("; ", between.Select(r => $"{r.Outcome}: {r.Summary}"))})");
            Assert.Multiple(() =>
            {
                Assert.That(record.Outcome, Is.EqualTo("failure"));
                Assert.That(record.Summary, Does.Contain(cause));
                Assert.That(
                    errors.Select(l => l.Message),
                    Has.Some.EqualTo($"Cron task {Task} failed (run {blocked.RunId})"),
                    "one error line names the task and the run, with the exception");
                Assert.That(Failures(cronRuns, ("task", Task)), Is.EqualTo(round), "forge.cron.runs{outcome=failure}");
                Assert.That(Failures(cleanupRuns), Is.EqualTo(round), "forge.packages.container.cleanup.runs{outcome=failure}");
                Assert.That(host.App.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, Is.False, "the host keeps running");
                Assert.That(next, Is.Not.Null, "a scheduled run after the fault succeeds");
            });
        }

        private async Task<RecordedRun?> WaitForSuccessAfterAsync(DateTimeOffset time)
        {
            var runs = await Poll.UntilAsync(
                () => RecordedRuns.OfAsync(connectionString, Task),
                all => all.Any(r => r.ScheduledFor > time && r.Outcome == "success"),
                TimeSpan.FromSeconds(60));
            return runs.FirstOrDefault(r => r.ScheduledFor > time && r.Outcome == "success");
        }

        private static long Failures(MetricCollector<long> collector, params (string Key, string Value)[] tags)
            => collector.GetMeasurementSnapshot()
                .Where(m => m.Tags.TryGetValue("outcome", out var outcome) && (string?)outcome == "failure")
                .Where(m => tags.All(t => m.Tags.TryGetValue(t.Key, out var value) && (string?)value == t.Value))
                .Sum(m => m.Value);

        public async ValueTask DisposeAsync()
        {
            cronRuns.Dispose();
            cleanupRuns.Dispose();
            await host.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }
}
