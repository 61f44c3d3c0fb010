using System.Data.Common;
using Forge.Host.Database;
using Forge.Host.Http;
using Forge.Host.Modules;
using Forge.Host.Scheduling;
using Forge.Modularity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Quartz;
using Quartz.Diagnostics;

namespace Forge.Host.Hosting;

/// <summary>
/// A composed Forge host: configuration, the enabled modules, the database (the embedded default when no
/// connection string is set), cron tasks, telemetry and, for <c>run</c>, the scheduler.
/// </summary>
public sealed class ForgeApp : IAsyncDisposable
{
    public const string QuartzSchema = "quartz";

    private readonly EmbeddedPostgres? embedded;
    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger logger;

    private ForgeApp(IHost host, IReadOnlyList<IModule> modules, CronTaskCatalog cronTasks, EmbeddedPostgres? embedded, string databaseDescription)
    {
        Host = host;
        Modules = modules;
        CronTasks = cronTasks;
        this.embedded = embedded;
        DatabaseDescription = databaseDescription;
        dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Forge.Host");
        // The commands other than run never start the host, whose hosted service builds these: built here, a
        // command's spans and metrics reach OTLP (flushed when the host is disposed) and its logs carry trace ids.
        _ = host.Services.GetService<MeterProvider>();
        _ = host.Services.GetService<TracerProvider>();
    }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    /// <summary>The enabled modules, in dependency order.</summary>
    public IReadOnlyList<IModule> Modules { get; }

    public CronTaskCatalog CronTasks { get; }

    /// <summary>Where the database is, without credentials.</summary>
    public string DatabaseDescription { get; }

    /// <summary>The configuration a host with these options would read, without composing anything.</summary>
    public static IConfiguration LoadConfiguration(ForgeAppOptions options) => CreateBuilder(options).Configuration;

    private static HostApplicationBuilder CreateBuilder(ForgeAppOptions options)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = "forge",
        });
        builder.Configuration.AddInMemoryCollection(options.Settings);
        ConfigureLogging(builder.Logging);
        return builder;
    }

    /// <summary>Reads and validates the configuration, composes the modules and starts the embedded database if needed.</summary>
    public static async Task<ForgeApp> CreateAsync(ForgeAppOptions options, CancellationToken cancellationToken = default)
    {
        var builder = CreateBuilder(options);
        var configuration = builder.Configuration;

        var node = new NodeIdentity(configuration["Forge:NodeName"] is { Length: > 0 } name ? name : Environment.MachineName);
        var modules = options.Catalog.Resolve(configuration);
        var cronTasks = new List<CronTaskDefinition>();
        var telemetrySources = new List<string> { HostTelemetry.Name };

        // The host's migration goes first: modules' migrations are registered after it, in module order.
        ModuleContext.AddSchemaMigrations<HostDbContext>(builder.Services, "Host");
        foreach (var module in modules)
        {
            module.Register(new ModuleContext(builder.Services, configuration, module.Name, telemetrySources));
            foreach (var task in module.CronTasks)
            {
                // Scoped: every run (scheduled or cron run) makes its task in a scope of its own.
                builder.Services.AddScoped(task.TaskType);
                cronTasks.Add(task);
            }
        }

        var catalog = CronTaskCatalog.Build(cronTasks, TasksOfDisabledModules(options.Catalog, modules), configuration);
        var clustered = ModuleSettings.Boolean(configuration, "Forge:Scheduler:Clustered", false);
        var http = HttpSettings.Read(configuration);

        EmbeddedPostgres? embedded = null;
        string connectionString;
        string description;
        if (configuration.GetConnectionString("Forge") is { Length: > 0 } configured)
        {
            connectionString = configured;
            description = Describe(configured);
        }
        else
        {
            var dataPath = configuration["Forge:DataPath"] is { Length: > 0 } path ? path : ".forge";
            using var bootstrapLogging = LoggerFactory.Create(ConfigureLogging);
            embedded = await EmbeddedPostgres.StartAsync(Path.Combine(dataPath, "postgres"), bootstrapLogging.CreateLogger("Forge.Host.Database"), cancellationToken);
            connectionString = embedded.ConnectionString;
            description = $"embedded PostgreSQL on 127.0.0.1:{embedded.Port}, data in {embedded.DataDirectory}";
        }

        try
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
            dataSourceBuilder.ConnectionStringBuilder.ApplicationName ??= "forge";
            var dataSource = dataSourceBuilder.Build();
            builder.Services.AddSingleton(dataSource);
            builder.Services.AddSingleton<DbDataSource>(dataSource);
            builder.Services.AddDbContextFactory<HostDbContext>(o => o.UseHostDatabase(dataSource));
            builder.Services.AddSingleton(node);
            builder.Services.AddSingleton(catalog);
            builder.Services.AddSingleton<ICronTaskSettingsLookup>(catalog);
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<HostTelemetry>();
            builder.Services.AddSingleton<CronRunLog>();
            builder.Services.AddSingleton<CronRunner>();
            builder.Services.AddSingleton<CronLastSuccess>();
            builder.Services.AddSingleton(http);
            // Modules' endpoints that administrators may call check the admin token through this, never seeing it.
            builder.Services.AddSingleton<IAdminTokenCheck, AdminTokenCheck>();
            AddTelemetry(builder, node, telemetrySources, prometheus: options.UseScheduler);
            if (options.UseScheduler)
            {
                // Started before the scheduler: a port in use stops the host before any task fires.
                AddHttpServer(builder.Services);
                AddScheduler(builder.Services, connectionString, clustered);
            }

            options.ConfigureServices?.Invoke(builder.Services);
            return new ForgeApp(builder.Build(), modules, catalog, embedded, description);
        }
        catch
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }

            throw;
        }
    }

    // The advisory lock key of migrations ("FrgMigra"), apart from the cleanups' run locks.
    private const long MigrationLock = 0x4672_674D_6967_7261;

    /// <summary>Applies every pending schema migration (the host's, then each module's); running it again changes nothing.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        // Nodes of a cluster that start together migrate one after the other: CREATE SCHEMA IF NOT EXISTS (and a
        // history table's first creation) is not safe to run concurrently.
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLock})", lockConnection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            return await MigrateLockedAsync(cancellationToken);
        }
        finally
        {
            // A pooled connection keeps its session's locks: released here, not when the pool reuses it. A broken
            // connection has lost the lock with its session.
            if (lockConnection.State == System.Data.ConnectionState.Open)
            {
                await using var release = new Npgsql.NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLock})", lockConnection);
                await release.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    private async Task<IReadOnlyList<string>> MigrateLockedAsync(CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        await using var scope = Services.CreateAsyncScope();
        foreach (var migration in scope.ServiceProvider.GetServices<ISchemaMigration>())
        {
            var names = await migration.MigrateAsync(cancellationToken);
            foreach (var name in names)
            {
                logger.LogInformation("Applied migration {Migration} of {Schema}", name, migration.Name);
            }

            applied.AddRange(names);
        }

        if (ModuleSettings.Boolean(Services.GetRequiredService<IConfiguration>(), "Forge:Scheduler:Clustered", false))
        {
            // Quartz creates its tables in this schema when they are missing (ProvisionSchema), not the schema itself.
            await using var command = dataSource.CreateCommand($"CREATE SCHEMA IF NOT EXISTS {QuartzSchema}");
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return applied;
    }

    /// <summary>
    /// For commands other than <c>run</c> and <c>migrate</c>: the embedded database is brought up to date;
    /// a configured database must have been migrated already (<c>forge migrate</c>), as it is used as is.
    /// </summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (embedded is not null)
        {
            await MigrateAsync(cancellationToken);
            return;
        }

        await using var scope = Services.CreateAsyncScope();
        foreach (var migration in scope.ServiceProvider.GetServices<ISchemaMigration>())
        {
            if ((await migration.PendingAsync(cancellationToken)).Count > 0)
            {
                throw new ForgeConfigurationException(
                    $"The database ({DatabaseDescription}) lacks migrations of {migration.Name}: run 'forge migrate' first.");
            }
        }
    }

    /// <summary>The <c>run</c> command: migrate, start the scheduler, and wait for SIGINT or SIGTERM.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Database: {Database}", DatabaseDescription);
        await MigrateAsync(cancellationToken);
        logger.LogInformation("Enabled modules: {Modules}", Modules.Count == 0 ? "none" : string.Join(", ", Modules.Select(m => m.Name)));
        await Host.RunAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }

        await dataSource.DisposeAsync();
        if (embedded is not null)
        {
            await embedded.DisposeAsync();
        }
    }

    /// <summary>Host, port, database and user of a connection string; never its password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}";
        }
        catch (ArgumentException)
        {
            throw new ForgeConfigurationException("ConnectionStrings:Forge is not a valid PostgreSQL connection string (keys such as Host, Port, Database, Username, Password).");
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        // Logs go to standard error: standard output belongs to the commands' own output (--json).
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            // Scopes carry the trace and span ids: every line logged during a cron run names its trace.
            o.IncludeScopes = true;
        });
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    private static void AddTelemetry(HostApplicationBuilder builder, NodeIdentity node, List<string> sources, bool prometheus)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("forge", serviceInstanceId: node.Name))
            .WithMetrics(m =>
            {
                m.AddMeter([.. sources, QuartzInstrumentation.MeterName]);
                if (prometheus)
                {
                    // Every scrape collects anew: a run that just finished is in the next scrape.
                    m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }
            })
            .WithTracing(t => t.AddSource([.. sources, QuartzInstrumentation.ActivitySourceName]));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }
    }

    private static void AddHttpServer(IServiceCollection services)
    {
        services.AddSingleton<HealthEndpoint>();
        services.AddSingleton<AdminCronEndpoints>();
        services.AddSingleton<ForgeHttpServer>();
        services.AddHostedService(s => s.GetRequiredService<ForgeHttpServer>());
        services.AddHostedService<CronLastSuccessRefresh>();
    }

    private static void AddScheduler(IServiceCollection services, string connectionString, bool clustered)
    {
        services.AddQuartz(q =>
        {
            if (clustered)
            {
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(connectionString);
                    store.UseClustering();
                    store.ProvisionSchema();
                    store.ConfigureStore(o => o.TablePrefix = $"{QuartzSchema}.qrtz_");
                });
            }
            else
            {
                q.UseInMemoryStore();
            }
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<CronScheduleRegistrar>();
    }

    // A disabled module is never registered (IModule.Register); the names of its tasks keep its leftover
    // Forge:Cron settings from being mistaken for typos.
    private static HashSet<string> TasksOfDisabledModules(ModuleCatalog catalog, IReadOnlyList<IModule> enabled)
        => catalog.Modules.Except(enabled).SelectMany(m => m.CronTasks).Select(t => t.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
}
