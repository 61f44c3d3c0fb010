using Forge.Host.Hosting;
using Forge.Host.Modules;
using Forge.Host.Tests.Support;
using Forge.Modularity;
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

        Assert.That(app.Services.GetService<OptionalService>(), Is.Null);
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

        Assert.Multiple(() =>
        {
            Assert.That(enabled.RegisterCalls, Is.EqualTo(1));
            Assert.That(app.Services.GetService<OptionalService>(), Is.Not.Null);
            Assert.That(app.CronTasks.Find(Task), Is.Not.Null);
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
    public void Each_real_module_names_the_cron_tasks_it_registers()
    {
        foreach (var module in ModuleCatalog.Default.Modules)
        {
            var tasks = new List<CronTaskDefinition>();
            module.Register(new ModuleContext(new ServiceCollection(), InMemoryConfiguration.From(), module.Name, tasks, []));

            Assert.That(module.CronTaskNames, Is.EquivalentTo(tasks.Select(t => t.Name)), module.Name);
        }
    }

    private static TestModule OptionalModule()
    {
        var definition = new CronTaskDefinition(Task, "A task of an optional module");
        return new TestModule(
            "Optional",
            register: context =>
            {
                context.Services.AddSingleton<OptionalService>();
                context.AddCronTask<ProbeTask>(definition);
            },
            cronTaskNames: [Task]);
    }

    /// <summary>The real modules plus <paramref name="module"/>, on a database that is never reached.</summary>
    private static ForgeAppOptions OptionsWith(TestModule module, bool enabled, params (string Key, string? Value)[] settings)
        => TestHosts.Options("Host=unused.invalid;Database=unused", module, enabled, useScheduler: false, settings);

    private sealed class OptionalService;
}
