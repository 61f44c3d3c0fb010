using Forge.Modularity;
using Forge.Packages.Cli;
using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
using Forge.Packages.Fsck;
using Forge.Packages.Schema;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Packages;

/// <summary>
/// The shared packages schema, the content store, the expired-data cleanup (<c>cleanup_packages</c>, whose
/// steps other modules extend) and <c>packages fsck</c>. Settings: <c>Forge:Packages:StorePath</c> (default
/// <c>&lt;Forge:DataPath&gt;/packages</c>).
/// </summary>
public sealed class PackagesModule : IModule, IModuleCommands
{
    public const string ModuleName = "Packages";

    public string Name => ModuleName;

    public IReadOnlyList<string> Dependencies => [];

    public IReadOnlyList<CronTaskDefinition> CronTasks => [ExpiredDataCleanupTask.Definition];

    public void Register(ModuleContext context)
    {
        context.Services.AddDbContext<PackagesDbContext>((sp, options) =>
            options.UseForgePackages(sp.GetRequiredService<NpgsqlDataSource>()));
        context.AddSchemaMigrations<PackagesDbContext>();

        var dataPath = context.Configuration["Forge:DataPath"] is { Length: > 0 } configured ? configured : ".forge";
        var storePath = context.Configuration["Forge:Packages:StorePath"] is { Length: > 0 } store
            ? store
            : Path.Combine(dataPath, "packages");
        context.Services.AddSingleton(new ContentStore(storePath));
        context.Services.AddSingleton<ExpiredDataCleanupTelemetry>();
        context.Services.AddTransient<ExpiredDataCleanup>();
        // The expired-data cleanup's own steps; other modules add theirs before these (IExpiredDataStep.Order).
        context.Services.AddSingleton<IExpiredDataStep, EmptyPackagesStep>();
        context.Services.AddSingleton<IExpiredDataStep, OrphanedBlobsStep>();
        context.Services.AddTransient<ContentStoreCheck>();
        context.AddTelemetrySource(ExpiredDataCleanupTelemetry.Name);
    }

    public IEnumerable<ModuleCommand> BuildCommands(IModuleCommandHost host)
    {
        yield return new ModuleCommand(["packages"], PackagesCommands.Cleanup(host));
        yield return new ModuleCommand(["packages"], PackagesCommands.Fsck(host));
    }
}
