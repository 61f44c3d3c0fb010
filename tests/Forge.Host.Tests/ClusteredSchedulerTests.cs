using Forge.Host.Hosting;
using Forge.Host.Scheduling;
using Forge.Host.Tests.Support;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

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

    [Test]
    public async Task A_node_starting_keeps_the_schedule_trigger_the_cluster_already_has()
    {
        await using var host = await StartAsync("* * * * * ?");
        await RecordedRuns.WaitForAsync(Database, Task, "success", count: 1);
        var before = await ScheduleTriggerAsync(host);

        // What every other node does at its start, against the same store.
        await host.App.Services.GetServices<IHostedService>().OfType<CronScheduleRegistrar>().Single().StartAsync(CancellationToken.None);

        var after = await ScheduleTriggerAsync(host);
        Assert.Multiple(() =>
        {
            Assert.That(after.StartTimeUtc, Is.EqualTo(before.StartTimeUtc), "the trigger was not built again");
            Assert.That(after.PreviousFireTimeUtc, Is.Not.Null.And.GreaterThanOrEqualTo(before.PreviousFireTimeUtc ?? DateTimeOffset.MinValue), "it goes on from the fires it had");
        });
    }

    [Test]
    public async Task A_node_starting_with_a_new_schedule_replaces_the_trigger()
    {
        await using (var first = await StartAsync("@hourly"))
        {
            Assert.That(CronSchedule.Parse("@hourly").Built(await ScheduleTriggerAsync(first)), Is.True);
        }

        await using var second = await StartAsync("@daily");

        var trigger = await ScheduleTriggerAsync(second);
        Assert.Multiple(() =>
        {
            Assert.That(CronSchedule.Parse("@daily").Built(trigger), Is.True);
            Assert.That(((ICronTrigger)trigger).CronExpressionString, Is.EqualTo(CronSchedule.Parse("@daily").CronExpression));
        });
    }

    private Task<RunningHost> StartAsync(string schedule = "@every 1s")
    {
        var module = TestModule.WithCronTask(CronTaskDefinition.For<ProbeTask>(Task, "A task for the cluster") with { Schedule = schedule });
        return RunningHost.StartAsync(TestHosts.Options(Database, module, useScheduler: true, ("Forge:Scheduler:Clustered", "true")), migrate: true);
    }

    private static async Task<ITrigger> ScheduleTriggerAsync(RunningHost host)
    {
        var scheduler = await host.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        return await scheduler.GetTrigger(new TriggerKey(Task, CronTaskJob.Group)) ?? throw new InvalidOperationException("No schedule trigger.");
    }

    private Task<List<string>> QuartzTablesAsync()
        => Database.ColumnAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", ForgeApp.QuartzSchema);
}
