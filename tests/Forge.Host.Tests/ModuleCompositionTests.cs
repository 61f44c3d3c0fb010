using Forge.Host.Hosting;
using Forge.Host.Modules;
using Forge.Host.Tests.Support;
using Forge.Modularity;
using Forge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Host.Tests;

/// <summary>What an enabled and a disabled module bring into a composed host. Nothing is started, so no database is reached.</summary>
public sealed class ModuleCompositionTests
{
    private const string Task = "optional_task";

    [Test]
    public async Task A_disabled_module_is_never_registered()
    {
        var disabled = OptionalModule();

        await using var app = await ForgeApp.CreateAsync(OptionsWith(disabled, enabled: false));

        Assert.That(disabled.RegisterCalls, Is.Zero);
    }

    [Test]
    public async Task A_disabled_module_contributes_no_services()
    {
        await using var app = await ForgeApp.CreateAsync(OptionsWith(OptionalModule(), enabled: false));
        await using var scope = app.Services.CreateAsyncScope();

        Assert.Multiple(() =>
        {
            Assert.That(app.Services.GetService<OptionalService>(), Is.Null);
            Assert.That(scope.ServiceProvider.GetService<ProbeTask>(), Is.Null);
        });
    }

    [Test]
    public async Task A_disabled_module_contributes_no_cron_tasks()
    {
        await using var app = await ForgeApp.CreateAsync(OptionsWith(OptionalModule(), enabled: false));

        Assert.That(app.CronTasks.Find(Task), Is.Null);
    }

    [Test]
    public async Task An_enabled_module_is_registered_once_with_its_services_and_cron_tasks()
    {
        var enabled = OptionalModule();

        await using var app = await ForgeApp.CreateAsync(OptionsWith(enabled, enabled: true));
        await using var scope = app.Services.CreateAsyncScope();

        Assert.Multiple(() =>
        {
            Assert.That(enabled.RegisterCalls, Is.EqualTo(1));
            Assert.That(app.Services.GetService<OptionalService>(), Is.Not.Null);
            Assert.That(app.CronTasks.Find(Task), Is.Not.Null);
            Assert.That(scope.ServiceProvider.GetService<ProbeTask>(), Is.Not.Null);
        });
    }

    [Test]
    public async Task Cron_settings_left_for_a_task_of_a_disabled_module_are_accepted()
    {
        var options = OptionsWith(OptionalModule(), enabled: false, ($"Forge:Cron:{Task}:Schedule", "@hourly"));

        await using var app = await ForgeApp.CreateAsync(options);

        Assert.That(app.CronTasks.Find(Task), Is.Null);
    }

    [Test]
    public async Task Every_cron_task_of_the_real_modules_is_made_by_the_composed_host()
    {
        var modules = ModuleCatalog.Default.Modules;
        var settings = modules.Select(m => ($"Forge:Modules:{m.Name}:Enabled", (string?)"true")).ToArray();
        await using var app = await ForgeApp.CreateAsync(new ForgeAppOptions { Settings = ForgeSettings.For("Host=unused.invalid;Database=unused", settings) });
        await using var scope = app.Services.CreateAsyncScope();

        foreach (var task in modules.SelectMany(m => m.CronTasks))
        {
            Assert.That(scope.ServiceProvider.GetService(task.TaskType), Is.InstanceOf(task.TaskType), task.Name);
        }
    }

    private static TestModule OptionalModule()
        => new(
            "Optional",
            register: context => context.Services.AddSingleton<OptionalService>(),
            cronTasks: [CronTaskDefinition.For<ProbeTask>(Task, "A task of an optional module")]);

    /// <summary>The real modules plus <paramref name="module"/>, on a database that is never reached.</summary>
    private static ForgeAppOptions OptionsWith(TestModule module, bool enabled, params (string Key, string? Value)[] settings)
        => TestHosts.Options("Host=unused.invalid;Database=unused", module, enabled, useScheduler: false, settings);

    private sealed class OptionalService;
}
