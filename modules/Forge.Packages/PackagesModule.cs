using Forge.Accounts;
using Forge.Modularity;
using Forge.Packages.Cli;
using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
using Forge.Packages.Fsck;
using Forge.Packages.Rules;
using Forge.Packages.Rules.Http;
using Forge.Packages.Schema;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Packages;

/// <summary>
/// The shared packages schema, the content store, the owners' retention rules (<c>cleanup_package_rules</c>, applied to
/// the types other modules serve; managed by <c>packages rules</c> and under <c>/api/v1/packages/{owner}/rules</c>), the expired-data cleanup (<c>cleanup_packages</c>, whose steps other modules
/// extend), <c>packages fsck</c> and <c>packages storage migrate</c>. Settings: <c>Forge:Packages:StorePath</c> (default
/// <c>&lt;Forge:DataPath&gt;/packages</c>), <c>Forge:Storage:*</c> (<see cref="StorageSettings"/>),
/// <c>Forge:Packages:DefaultCleanupRule:*</c>.
/// </summary>
public sealed class PackagesModule : IModule, IModuleCommands
{
    public const string ModuleName = "Packages";

    public string Name => ModuleName;

    /// <summary>Accounts: a rule's owner is an account, named in reports and commands.</summary>
    public IReadOnlyList<string> Dependencies => [AccountsModule.ModuleName];

    public IReadOnlyList<CronTaskDefinition> CronTasks => [PackageRulesCleanupTask.Definition, ExpiredDataCleanupTask.Definition];

    public void Register(ModuleContext context)
    {
        context.Services.AddDbContext<PackagesDbContext>((sp, options) =>
            options.UseForgePackages(sp.GetRequiredService<NpgsqlDataSource>()));
        context.AddSchemaMigrations<PackagesDbContext>();

        var storePath = StorageSettings.StorePath(context.Configuration);
        // The node's staging folder is the store's folder too with the local store, so that publishing is a rename.
        context.Services.AddSingleton(new ContentStaging(storePath));
        // Forge:Storage:Type: the folder (the default) or a bucket, checked now so that a bad setting stops the start.
        if (StorageSettings.Read(context.Configuration) is { } bucket)
        {
            context.Services.AddSingleton(_ => new S3ContentStore(bucket));
            context.Services.AddSingleton<IContentStore>(sp => Metered(sp, sp.GetRequiredService<S3ContentStore>()));
            context.Services.AddSingleton<IUploadChunkStore>(sp => new S3UploadChunks(sp.GetRequiredService<S3ContentStore>()));
        }
        else
        {
            context.Services.AddSingleton(new FolderContentStore(storePath));
            context.Services.AddSingleton<IContentStore>(sp => Metered(sp, sp.GetRequiredService<FolderContentStore>()));
            context.Services.AddSingleton<IUploadChunkStore, FolderUploadChunks>();
        }

        context.Services.AddSingleton<ContentStoreTelemetry>();

        context.Services.AddSingleton<ExpiredDataCleanupTelemetry>();
        context.Services.AddTransient<ExpiredDataCleanup>();
        // The expired-data cleanup's own steps; other modules add theirs before these (IExpiredDataStep.Order).
        context.Services.AddSingleton<IExpiredDataStep, EmptyPackagesStep>();
        context.Services.AddSingleton<IExpiredDataStep, OrphanedBlobsStep>();
        context.Services.AddTransient<ContentStoreCheck>();
        context.Services.AddTransient<StorageMigration>();

        // The owners' retention rules; the modules that serve a package type say how its versions go (IPackageTypeRetention).
        context.Services.AddSingleton(DefaultCleanupRuleSettings.Read(context.Configuration));
        context.Services.AddSingleton<CleanupRuleStore>();
        context.Services.AddSingleton<PackageRulesCleanupTelemetry>();
        context.Services.AddTransient<PackageRulesCleanup>();
        // Their HTTP API in forge run: an owner manages its own rules; the admin token, any owner's.
        context.Services.AddSingleton<RulesAccess>();
        context.AddEndpoints<RulesEndpoints>();
        context.AddTelemetrySource(ExpiredDataCleanupTelemetry.Name);
    }

    /// <summary>Services are given the store metered (<see cref="ContentStoreTelemetry"/>), whichever it is.</summary>
    private static MeteredContentStore Metered(IServiceProvider services, IContentStore store)
        => new(store, services.GetRequiredService<ContentStoreTelemetry>());

    public IEnumerable<ModuleCommand> BuildCommands(IModuleCommandHost host)
    {
        yield return new ModuleCommand(["packages"], PackagesCommands.Cleanup(host));
        yield return new ModuleCommand(["packages"], PackagesCommands.Fsck(host));
        yield return new ModuleCommand(["packages"], StorageCommands.Build(host));
        yield return new ModuleCommand(["packages"], RulesCommands.Build(host));
    }
}
