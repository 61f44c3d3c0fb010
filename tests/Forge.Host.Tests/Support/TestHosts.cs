using Forge.Host.Hosting;
using Forge.Host.Http;
using Forge.Host.Modules;
using Forge.Modularity;
using Forge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Host.Tests.Support;

/// <summary>Composes hosts for tests: the real modules plus a test module, on a test database.</summary>
public static class TestHosts
{
    public static ForgeAppOptions Options(TestDatabase database, IModule module, bool useScheduler, params (string Key, string? Value)[] settings)
        => Options(database.ConnectionString, module, moduleEnabled: true, useScheduler, settings);

    public static ForgeAppOptions Options(
        string connectionString, IModule module, bool moduleEnabled, bool useScheduler, params (string Key, string? Value)[] settings) => new()
    {
        Catalog = new ModuleCatalog([.. ModuleCatalog.Default.Modules, module]),
        Settings = ForgeSettings.For(connectionString, [($"Forge:Modules:{module.Name}:Enabled", moduleEnabled ? "true" : "false"), .. settings]),
        UseScheduler = useScheduler,
    };
}

/// <summary>A started host that is stopped and disposed with the test.</summary>
public sealed class RunningHost : IAsyncDisposable
{
    private RunningHost(ForgeApp app) => App = app;

    public ForgeApp App { get; }

    /// <summary>Where the host serves HTTP (a free loopback port in tests: see <see cref="ForgeSettings"/>).</summary>
    public Uri HttpAddress => App.Services.GetRequiredService<ForgeHttpServer>().Addresses[0];

    /// <summary>A client for the host's HTTP endpoints; the caller disposes it.</summary>
    public HttpClient Http() => new() { BaseAddress = HttpAddress, Timeout = Poll.Deadline };

    /// <summary>Composes the host, migrates when asked (as <c>forge run</c> does), and starts it.</summary>
    public static async Task<RunningHost> StartAsync(ForgeAppOptions options, bool migrate = false)
    {
        var app = await ForgeApp.CreateAsync(options);
        try
        {
            if (migrate)
            {
                await app.MigrateAsync(CancellationToken.None);
            }

            await app.Host.StartAsync();
            return new RunningHost(app);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.Host.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
