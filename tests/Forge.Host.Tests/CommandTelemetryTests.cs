using System.Diagnostics;
using Forge.Host.Hosting;
using Forge.Host.Scheduling;
using Forge.Host.Tests.Support;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Forge.Host.Tests;

/// <summary>A command other than <c>run</c> (<c>cron run</c>, the cleanup commands) never starts the host, and still exports its spans.</summary>
public sealed class CommandTelemetryTests : DatabaseTest
{
    [Test]
    public async Task A_cron_run_in_a_host_that_was_never_started_exports_its_span()
    {
        const string task = "command_probe";
        var spans = new List<Activity>();
        var options = TestHosts.Options(Database, TestModule.WithCronTask(CronTaskDefinition.For<ProbeTask>(task, "A task run as a command")), useScheduler: false);
        await using var app = await ForgeApp.CreateAsync(new ForgeAppOptions
        {
            Catalog = options.Catalog,
            Settings = options.Settings,
            ConfigureServices = s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)),
        });

        await app.Services.GetRequiredService<CronRunner>().RunAsync(task, CronRunTrigger.Manual, CancellationToken.None);

        Assert.That(spans.Select(s => s.DisplayName), Has.Member($"cron {task}"));
    }
}
