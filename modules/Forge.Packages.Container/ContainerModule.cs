using Forge.Accounts;
using Forge.Modularity;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Cli;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.ExpiredData;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Registry.Auth;
using Forge.Packages.Container.Registry.Http;
using Forge.Packages.ExpiredData;
using Forge.Packages.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Container;

/// <summary>
/// Container images over the shared packages schema (<see cref="ContainerLayout"/>): the registry API under
/// <c>/v2/</c> (<c>Registry/Http</c>), the cleanup of dangling <c>sha256:*</c> versions (the cron task
/// <c>cleanup_container_sha256</c> and <c>forge packages container cleanup-sha256</c>), the registry's steps of the
/// expired-data cleanup, and the demo registry.
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
        // The dangling image cleanup.
        context.Services.AddSingleton<IDanglingImageStore, NpgsqlDanglingImageStore>();
        context.Services.AddSingleton<DanglingImageCleanupTelemetry>();
        context.Services.AddTransient<DanglingImageCleanup>();

        // The owners' retention rules untag images and leave digest versions to the dangling image cleanup.
        context.Services.AddSingleton<IPackageTypeRetention, ContainerRetention>();

        // The registry's upload sessions and uploaded blobs expire with the expired-data cleanup.
        context.Services.AddSingleton<IExpiredDataStep, ExpiredUploadsStep>();
        context.Services.AddSingleton<IExpiredDataStep, ExpiredUploadedBlobsStep>();

        // The registry: its data layer, its services, its HTTP handlers.
        context.Services.AddSingleton(RegistrySettings.Read(context.Configuration));
        context.Services.AddSingleton<RegistryTelemetry>();
        context.Services.AddSingleton<RegistryStore>();
        context.Services.AddSingleton<ManifestPublisher>();
        context.Services.AddSingleton<UploadedBlobs>();
        context.Services.AddSingleton<UploadSessions>();
        context.Services.AddSingleton<BlobUploads>();
        context.Services.AddSingleton<ManifestPushes>();
        context.Services.AddSingleton<ManifestReferrers>();
        context.Services.AddSingleton<ReferrerPages>();
        // The last pull of each version, for the retention rules: recorded in memory, written by a hosted service
        // (forge run only) every Forge:Registry:PullFlushInterval and at shutdown, after the HTTP server has stopped.
        context.Services.AddSingleton<VersionPulls>();
        context.Services.AddSingleton<PullRecorder>();
        context.Services.AddHostedService<PullFlusher>();
        // The token flow: the signing keys (shared through the database), the tokens, who may do what.
        context.Services.AddSingleton<TokenKeyStore>();
        context.Services.AddSingleton<TokenSigningKeys>();
        context.Services.AddHostedService<TokenKeyStartup>();
        context.Services.AddSingleton<RegistryTokens>();
        context.Services.AddSingleton<RegistryAccess>();
        context.Services.AddSingleton<RegistryChallenge>();
        context.Services.AddSingleton<RegistryAccessLog>();
        context.Services.AddSingleton<RepositoryCatalog>();
        context.Services.AddSingleton<TokenHandler>();
        context.Services.AddSingleton<CatalogHandler>();
        context.Services.AddSingleton<PingHandler>();
        context.Services.AddSingleton<BlobsHandler>();
        context.Services.AddSingleton<UploadsHandler>();
        context.Services.AddSingleton<ManifestsHandler>();
        context.Services.AddSingleton<TagsHandler>();
        context.Services.AddSingleton<ReferrersHandler>();
        context.AddEndpoints<RegistryEndpoints>();

        // Images no client pushed: the demo registry (and the tests, soak and benchmark).
        context.Services.AddSingleton<SyntheticImages>();
        context.Services.AddTransient<DemoRegistry>();
        context.AddTelemetrySource(TelemetryName);
    }

    public IEnumerable<ModuleCommand> BuildCommands(IModuleCommandHost host)
    {
        yield return new ModuleCommand(["packages", "container"], CleanupCommand.Build(host));
        yield return new ModuleCommand(["packages", "container"], DemoCommand.Build(host));
        yield return new ModuleCommand(["packages", "container"], TokenKeyCommand.Build(host));
    }
}
