using Forge.Accounts;
using Forge.Modularity;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Cli;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.Registry;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Container;

/// <summary>
/// Container images over the shared packages schema: the cleanup of dangling <c>sha256:*</c> versions (the
/// cron task <c>cleanup_container_sha256</c> and <c>forge packages container cleanup-sha256</c>), the
/// write path that publishes images, and the registry API under <c>/v2/</c> (<see cref="RegistryEndpoints"/>).
/// </summary>
public sealed class ContainerModule : IModule, IModuleCommands
{
    public const string ModuleName = "Packages.Container";

    /// <summary>The name of the module's Meter and ActivitySource.</summary>
    public const string TelemetryName = "Forge.Packages.Container";

    public string Name => ModuleName;

    /// <summary>Accounts: the registry authenticates pushes and pulls with the accounts' passwords.</summary>
    public IReadOnlyList<string> Dependencies => [PackagesModule.ModuleName, AccountsModule.ModuleName];

    public IReadOnlyList<CronTaskDefinition> CronTasks => [DanglingImageCleanupTask.Definition];

    public void Register(ModuleContext context)
    {
        context.Services.AddSingleton<IContainerCleanupStore, NpgsqlContainerCleanupStore>();
        context.Services.AddSingleton<ContainerCleanupTelemetry>();
        context.Services.AddTransient<DanglingImageCleanup>();
        context.Services.AddSingleton<ContainerImageWriter>();
        context.Services.AddTransient<DemoRegistry>();
        context.Services.AddSingleton(RegistrySettings.Read(context.Configuration));
        context.Services.AddSingleton<RegistryStore>();
        context.Services.AddSingleton<BlobUploads>();
        context.Services.AddSingleton<RegistryTelemetry>();
        context.AddEndpoints<RegistryEndpoints>();
        context.AddTelemetrySource(TelemetryName);
    }

    public IEnumerable<ModuleCommand> BuildCommands(IModuleCommandHost host)
    {
        yield return new ModuleCommand(["packages", "container"], CleanupCommand.Build(host));
        yield return new ModuleCommand(["packages", "container"], DemoCommand.Build(host));
    }
}
