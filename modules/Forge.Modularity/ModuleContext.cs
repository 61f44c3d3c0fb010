using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Modularity;

/// <summary>What a module sees while it registers itself.</summary>
public sealed class ModuleContext
{
    private readonly List<string> telemetrySources;

    public ModuleContext(
        IServiceCollection services,
        IConfiguration configuration,
        string moduleName,
        List<string> telemetrySources)
    {
        Services = services;
        Configuration = configuration;
        ModuleName = moduleName;
        this.telemetrySources = telemetrySources;
    }

    public IServiceCollection Services { get; }

    /// <summary>The whole configuration; a module reads its own keys from it.</summary>
    public IConfiguration Configuration { get; }

    public string ModuleName { get; }

    /// <summary>
    /// Declares the module's telemetry: a <see cref="System.Diagnostics.Metrics.Meter"/> and an
    /// <see cref="System.Diagnostics.ActivitySource"/> of that name are exported by the host.
    /// </summary>
    public void AddTelemetrySource(string name) => telemetrySources.Add(name);

    /// <summary>Declares HTTP endpoints that <c>forge run</c> serves (see <see cref="IModuleEndpoints"/>).</summary>
    public void AddEndpoints<TEndpoints>()
        where TEndpoints : class, IModuleEndpoints
    {
        Services.AddSingleton<TEndpoints>();
        Services.AddSingleton<IModuleEndpoints>(sp => sp.GetRequiredService<TEndpoints>());
    }

    /// <summary>
    /// Registers the EF Core migrations of <typeparamref name="TContext"/> (already registered in
    /// <see cref="Services"/>); <c>migrate</c> and start-up apply them, in module order.
    /// </summary>
    public void AddSchemaMigrations<TContext>()
        where TContext : DbContext
        => AddSchemaMigrations<TContext>(Services, ModuleName);

    public static void AddSchemaMigrations<TContext>(IServiceCollection services, string name)
        where TContext : DbContext
        => services.AddTransient<ISchemaMigration>(sp => new EfCoreSchemaMigration<TContext>(sp, name));
}
