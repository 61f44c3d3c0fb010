using Forge.Host.Tests.Support;
using Forge.Modularity;
using Forge.Testing;

namespace Forge.Host.Tests;

/// <summary><c>forge cron run</c> and <c>forge cron list</c> against a migrated database.</summary>
public sealed class CronCommandTests : DatabaseTest
{
    private const string Task = "manual_probe";

    [Test]
    public async Task Cron_run_of_an_unknown_task_is_a_usage_error_naming_it()
    {
        var result = await ForgeCli.RunAsync(new() { Settings = ForgeSettings.For(Database.ConnectionString) }, "cron", "run", "does_not_exist");

        ForgeCli.AssertUsageErrorNaming(result, "'does_not_exist'");
    }

    [Test]
    public async Task Cron_run_runs_the_task_and_records_a_manual_run()
    {
        var result = await CronAsync("run", Task);

        var runs = await RecordedRuns.OfAsync(Database, Task);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
            Assert.That(result.Output, Does.StartWith($"{Task}: success"));
            Assert.That(runs.Select(r => r.TriggerAndOutcome), Is.EqualTo((string[])["manual success"]));
            Assert.That(runs.Select(r => r.Summary), Has.All.StartsWith("probe run"), "the task itself ran");
        });
    }

    [Test]
    public async Task Cron_list_shows_the_task_with_its_run_count()
    {
        await CronAsync("run", Task);
        await CronAsync("run", Task);

        var result = await CronAsync("list");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
            Assert.That(Cell(result, Task, "RUNS"), Is.EqualTo("2"));
            Assert.That(Cell(result, Task, "OUTCOME"), Is.EqualTo("success"));
        });
    }

    private Task<CliResult> CronAsync(params string[] args)
    {
        var module = TestModule.WithCronTask(CronTaskDefinition.For<ProbeTask>(Task, "A task for the command line") with { Schedule = "@yearly" });
        return ForgeCli.RunAsync(TestHosts.Options(Database, module, useScheduler: false), ["cron", .. args]);
    }

    /// <summary>A cell of <c>cron list</c>'s table: columns are padded, so a cell starts where its header does.</summary>
    private static string Cell(CliResult result, string task, string column)
    {
        var header = result.OutputLines[0];
        var row = result.OutputLines.Single(line => line.StartsWith(task + " ", StringComparison.Ordinal));
        return row[header.IndexOf(column, StringComparison.Ordinal)..].Split(' ')[0];
    }
}
