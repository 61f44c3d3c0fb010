using Forge.Host.Tests.Support;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Forge.Host.Tests;

/// <summary>The scheduler of a started host fires a module's cron task and records every run.</summary>
public sealed class SchedulerTests : DatabaseTest
{
    [Test]
    public async Task A_task_every_second_fires_again_and_again()
    {
        const string task = "every_second";
        await using var host = await StartAsync<ProbeTask>(task, "@every 1s");

        var fired = await Poll.UntilAsync(() => CronTaskProbe.RunsOf(task), runs => runs.Count >= 2);

        Assert.That(fired, Has.Count.GreaterThanOrEqualTo(2).And.All.EqualTo(CronRunTrigger.Schedule));
    }

    [Test]
    public async Task Each_scheduled_run_is_recorded_as_a_success_triggered_by_the_schedule()
    {
        const string task = "every_second_recorded";
        await using var host = await StartAsync<ProbeTask>(task, "@every 1s");

        var runs = await RecordedRuns.WaitForAsync(Database, task, "success", count: 2);

        Assert.That(
            runs.Where(r => r.Outcome is not null).Select(r => r.TriggerAndOutcome).ToList(),
            Has.Count.GreaterThanOrEqualTo(2).And.All.EqualTo("schedule success"));
    }

    [Test]
    public async Task A_task_that_runs_at_start_fires_once_at_start()
    {
        const string task = "yearly_at_start";
        await using var host = await StartAsync<ProbeTask>(task, "@yearly", (RunAtStart(task), "true"));

        var runs = await RecordedRuns.WaitForAsync(Database, task, "success", count: 1);

        Assert.Multiple(() =>
        {
            Assert.That(runs.Select(r => r.TriggerAndOutcome), Is.EqualTo((string[])["start success"]));
            Assert.That(CronTaskProbe.RunsOf(task), Is.EqualTo(new[] { CronRunTrigger.Start }));
        });
    }

    [Test]
    public async Task A_scheduled_run_records_the_fire_time_it_was_planned_for_and_a_start_run_none()
    {
        const string task = "every_second_at_start";
        await using var host = await StartAsync<ProbeTask>(task, "* * * * * ?", (RunAtStart(task), "true"));

        var runs = await Poll.UntilAsync(
            () => RecordedRuns.OfAsync(Database, task),
            all => all.Any(r => r.Trigger == "start" && r.Outcome is not null) && all.Any(r => r.Trigger == "schedule" && r.Outcome is not null));

        var scheduled = runs.Where(r => r.Trigger == "schedule").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(runs.Where(r => r.Trigger == "start").Select(r => r.ScheduledFor), Is.EqualTo(new DateTimeOffset?[] { null }));
            Assert.That(scheduled, Is.Not.Empty);
            Assert.That(scheduled.Select(r => r.ScheduledFor?.Millisecond), Has.All.EqualTo(0), "a cron fire time is a whole second");
        });
    }

    [Test]
    public async Task A_task_that_throws_is_recorded_as_a_failure_with_the_exception()
    {
        const string task = "failing";
        await using var host = await StartAsync<FailingTask>(task, "@every 1s");

        var runs = await RecordedRuns.WaitForAsync(Database, task, "failure", count: 1);

        Assert.That(runs.Where(r => r.Outcome == "failure").Select(r => r.Summary), Has.Some.Contains(FailingTask.Message));
    }

    [Test]
    public async Task The_host_keeps_running_and_firing_after_a_task_throws()
    {
        const string task = "failing_again";
        await using var host = await StartAsync<FailingTask>(task, "@every 1s");

        var runs = await RecordedRuns.WaitForAsync(Database, task, "failure", count: 2);

        var lifetime = host.App.Services.GetRequiredService<IHostApplicationLifetime>();
        Assert.Multiple(() =>
        {
            Assert.That(runs.Count(r => r.Outcome == "failure"), Is.GreaterThanOrEqualTo(2));
            Assert.That(lifetime.ApplicationStopping.IsCancellationRequested, Is.False);
        });
    }

    private static string RunAtStart(string task) => $"Forge:Cron:{task}:RunAtStart";

    private Task<RunningHost> StartAsync<TTask>(string task, string schedule, params (string Key, string? Value)[] settings)
        where TTask : class, ICronTask
    {
        var module = TestModule.WithCronTask(CronTaskDefinition.For<TTask>(task, "A task for the scheduler") with { Schedule = schedule });
        return RunningHost.StartAsync(TestHosts.Options(Database, module, useScheduler: true, settings));
    }
}
