using Forge.Host.Hosting;
using Forge.Host.Tests.Support;
using Forge.Modularity;

namespace Forge.Host.Tests;

/// <summary>With Forge:Scheduler:Clustered, Quartz keeps its state in the <c>quartz</c> schema of the Forge database.</summary>
public sealed class ClusteredSchedulerTests : DatabaseTest
{
    private const string Task = "clustered_every_second";

    [Test]
    public async Task The_clustered_scheduler_keeps_its_tables_in_the_quartz_schema()
    {
        await using var host = await StartAsync();

        var tables = await QuartzTablesAsync();

        Assert.Multiple(() =>
        {
            Assert.That(tables, Does.Contain("qrtz_triggers").And.Contain("qrtz_job_details").And.Contain("qrtz_locks"));
            Assert.That(tables, Has.All.StartsWith("qrtz_"));
        });
    }

    [Test]
    public async Task The_clustered_scheduler_fires_a_task_and_records_its_runs()
    {
        await using var host = await StartAsync();

        var runs = await RecordedRuns.WaitForAsync(Database, Task, "success", count: 1);

        Assert.That(runs.Where(r => r.Outcome is not null).Select(r => r.TriggerAndOutcome), Has.Some.EqualTo("schedule success"));
    }

    private Task<RunningHost> StartAsync()
    {
        var module = TestModule.WithCronTask<ProbeTask>(new CronTaskDefinition(Task, "A task for the cluster") { Schedule = "@every 1s" });
        return RunningHost.StartAsync(TestHosts.Options(Database, module, useScheduler: true, ("Forge:Scheduler:Clustered", "true")), migrate: true);
    }

    private Task<List<string>> QuartzTablesAsync()
        => Database.ColumnAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", ForgeApp.QuartzSchema);
}
