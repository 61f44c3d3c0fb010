using System.Diagnostics;
using Forge.Host.Hosting;
using Forge.Host.Tests.Support;
using Forge.Modularity;
using Forge.Packages.Container.Cleanup;
using Forge.Testing;

namespace Forge.Host.Tests;

/// <summary>
/// Several <c>forge run</c> processes with the clustered scheduler on one database, running the real
/// container cleanup every second: each fire runs once across them, a node killed mid-run does not stop
/// the others, and a command-line run during a scheduled one is skipped. <c>FORGE_SOAK_ROUNDS</c> repeats
/// the observation window, the kills and the command-line runs.
/// </summary>
[Category("Reliability")]
public sealed class ClusteredNodesTests : DatabaseTest
{
    private const string Task = DanglingImageCleanupTask.Name;

    // A killed node's runs are recovered once the others judge it dead: Quartz's check-in interval plus its
    // misfire threshold (7.5 s each by default), then the schedule goes on.
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Every_scheduled_fire_runs_exactly_once_across_three_nodes()
    {
        await using var cluster = await NodeCluster.StartAsync(Database.ConnectionString, 3);
        // The window starts once every node runs: no node replaces the trigger inside it.
        var from = WholeSecond(DateTimeOffset.UtcNow).AddSeconds(1);
        await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(5 * SoakRounds.Count));
        var to = WholeSecond(DateTimeOffset.UtcNow);

        var runs = await Poll.UntilAsync(
            () => RecordedRuns.OfAsync(Database, Task),
            all => all.Any(r => r.ScheduledFor > to && r.Outcome is not null));

        var window = runs.Where(r => r.ScheduledFor >= from && r.ScheduledFor <= to).ToList();
        TestContext.Progress.WriteLine(
            $"{window.Count} fires from {from:HH:mm:ss} to {to:HH:mm:ss}, by node: " +
            string.Join(", ", window.GroupBy(r => r.Node).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        Assert.Multiple(() =>
        {
            Assert.That(RecordedRuns.RepeatedFires(runs), Is.Empty, "fire times recorded more than once");
            Assert.That(RecordedRuns.MissedSeconds(runs, from, to), Is.Empty, "fire times with no run");
            Assert.That(window.Select(r => r.Outcome), Has.All.EqualTo("success"), cluster.Logs);
        });
    }

    [Test]
    public async Task A_command_line_run_during_a_scheduled_run_is_skipped()
    {
        await using var cluster = await NodeCluster.StartAsync(Database.ConnectionString, 2);
        for (var round = 1; round <= SoakRounds.Count; round++)
        {
            var cli = new ForgeAppOptions { Settings = ForgeSettings.For(Database.ConnectionString) };
            var (blocked, (command, cronRun)) = await CleanupRunHold.WhileARunWaitsAsync(Database.ConnectionString, async _ =>
                (await ForgeCli.RunAsync(cli, "packages", "container", "cleanup-sha256"), await ForgeCli.RunAsync(cli, "cron", "run", Task)));

            var runs = await Poll.UntilAsync(() => RecordedRuns.OfAsync(Database, Task), all => all.Single(r => r.Id == blocked.RunId).Outcome is not null);
            Assert.Multiple(() =>
            {
                Assert.That(command.ExitCode, Is.EqualTo(ExitCodes.Skipped), command.Error);
                Assert.That(command.Output, Does.Contain("skipped").IgnoreCase);
                Assert.That(cronRun.ExitCode, Is.EqualTo(ExitCodes.Skipped), cronRun.Error);
                Assert.That(runs.Where(r => r.Trigger == "manual").Select(r => r.Outcome).LastOrDefault(), Is.EqualTo("skipped"), "cron run records a skipped run");
                Assert.That(runs.Single(r => r.Id == blocked.RunId).Outcome, Is.EqualTo("success"), "the scheduled run goes on");
            });
        }
    }

    [Test]
    public async Task A_node_killed_during_a_run_does_not_stop_later_runs_on_the_others()
    {
        await using var cluster = await NodeCluster.StartAsync(Database.ConnectionString, 3);
        for (var round = 1; round <= SoakRounds.Count; round++)
        {
            // The dead node's session ends when its statement does and finds no client: the run lock goes with it.
            var (blocked, killedAt) = await CleanupRunHold.WhileARunWaitsAsync(Database.ConnectionString, run =>
            {
                cluster.Kill(run.Node);
                return System.Threading.Tasks.Task.FromResult(DateTimeOffset.UtcNow);
            });

            var clock = Stopwatch.StartNew();
            var runs = await Poll.UntilAsync(
                () => RecordedRuns.OfAsync(Database, Task),
                all => all.Any(r => r.ScheduledFor > killedAt && r.Outcome == "success"),
                RecoveryDeadline);
            var next = runs.FirstOrDefault(r => r.ScheduledFor > killedAt && r.Outcome == "success");
            TestContext.Progress.WriteLine(
                $"round {round}: killed {blocked.Node} in run {blocked.RunId} (record outcome: {runs.Single(r => r.Id == blocked.RunId).Outcome ?? "none"}); next success on {next?.Node} after {clock.Elapsed.TotalSeconds:0.0}s");
            Assert.Multiple(() =>
            {
                Assert.That(next, Is.Not.Null, cluster.Logs);
                Assert.That(next?.Node, Is.Not.EqualTo(blocked.Node));
                Assert.That(RecordedRuns.RepeatedFires(runs), Is.Empty, "fire times recorded more than once");
                Assert.That(runs.Where(r => r.StartedAt > killedAt && r.Outcome is not null).Select(r => r.Outcome), Has.All.EqualTo("success"));
            });
            if (round < SoakRounds.Count)
            {
                await cluster.StartNodeAsync();
            }
        }
    }

    private static DateTimeOffset WholeSecond(DateTimeOffset time) => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());
}
