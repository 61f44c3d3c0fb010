using Forge.Host.Scheduling;
using Forge.Host.Tests.Support;
using Forge.Modularity;

namespace Forge.Host.Tests;

/// <summary>A declared task's defaults, its Forge:Cron:&lt;task&gt;: overrides, and the errors bad values give.</summary>
public sealed class CronTaskCatalogTests
{
    private const string Task = "purge_things";

    private static readonly CronTaskDefinition Purge = CronTaskDefinition.For<ProbeTask>(Task, "Purges old things") with
    {
        Schedule = "@daily",
        Settings = [CronSetting.Duration("OlderThan", "24h"), CronSetting.Integer("BatchSize", 500, 1, 100000)],
    };

    [Test]
    public void Without_settings_a_task_has_its_declared_defaults()
    {
        var task = Build().Find(Task)!;

        Assert.Multiple(() =>
        {
            Assert.That(task.Enabled, Is.True);
            Assert.That(task.RunAtStart, Is.False);
            Assert.That(task.Schedule.Text, Is.EqualTo("@daily"));
            Assert.That(task.Settings.GetDuration("OlderThan"), Is.EqualTo(TimeSpan.FromHours(24)));
            Assert.That(task.Settings.GetInt32("BatchSize"), Is.EqualTo(500));
        });
    }

    [Test]
    public void Settings_under_the_task_override_its_defaults()
    {
        var task = Build(
            ($"Forge:Cron:{Task}:Enabled", "false"),
            ($"Forge:Cron:{Task}:RunAtStart", "true"),
            ($"Forge:Cron:{Task}:Schedule", "@every 90s"),
            ($"Forge:Cron:{Task}:OlderThan", "1h30m"),
            ($"Forge:Cron:{Task}:BatchSize", "42")).Find(Task)!;

        Assert.Multiple(() =>
        {
            Assert.That(task.Enabled, Is.False);
            Assert.That(task.RunAtStart, Is.True);
            Assert.That(task.Schedule.Interval, Is.EqualTo(TimeSpan.FromSeconds(90)));
            Assert.That(task.Settings.GetDuration("OlderThan"), Is.EqualTo(TimeSpan.FromMinutes(90)));
            Assert.That(task.Settings.GetInt32("BatchSize"), Is.EqualTo(42));
        });
    }

    [TestCase("Schedule", "30 2 * * *")]
    [TestCase("OlderThan", "1d")]
    [TestCase("BatchSize", "lots")]
    [TestCase("BatchSize", "0")]
    [TestCase("Enabled", "maybe")]
    [TestCase("RunAtStart", "yes")]
    public void A_bad_value_stops_with_a_message_naming_the_key_and_the_value(string key, string value)
    {
        Assert.That(() => Build(($"Forge:Cron:{Task}:{key}", value)), Throws.TypeOf<ForgeConfigurationException>()
            .With.Message.Contains($"Forge:Cron:{Task}:{key} is '{value}'"));
    }

    [Test]
    public void An_unknown_key_of_a_known_task_stops_with_the_task_s_settings()
    {
        Assert.That(() => Build(($"Forge:Cron:{Task}:OlderThen", "1h")), Throws.TypeOf<ForgeConfigurationException>()
            .With.Message.Contains($"Forge:Cron:{Task}:OlderThen is not a setting of this task")
            .And.Message.Contains("Enabled, RunAtStart, Schedule, OlderThan, BatchSize"));
    }

    [Test]
    public void Settings_for_an_unknown_task_stop_with_the_known_tasks()
    {
        Assert.That(() => Build(("Forge:Cron:purge_thing:Schedule", "@hourly")), Throws.TypeOf<ForgeConfigurationException>()
            .With.Message.Contains("Forge:Cron:purge_thing: there is no cron task named 'purge_thing'")
            .And.Message.Contains($"known tasks: {Task}"));
    }

    [Test]
    public void Settings_for_a_task_of_a_disabled_module_are_left_alone()
    {
        var catalog = CronTaskCatalog.Build(
            [Purge], ["other_module_task"], InMemoryConfiguration.From(("Forge:Cron:other_module_task:Schedule", "@hourly")));

        Assert.That(catalog.Tasks.Select(t => t.Name), Is.EqualTo((string[])[Task]));
    }

    private static CronTaskCatalog Build(params (string Key, string? Value)[] settings)
        => CronTaskCatalog.Build([Purge], [], InMemoryConfiguration.From(settings));
}
