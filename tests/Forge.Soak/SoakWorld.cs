using Forge.Host.Hosting;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Demo;
using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Soak;

/// <summary>
/// One soak database and content store, with the real modules composed over them in this process (no
/// scheduler): the registry write path the writers use and both cleanups. Its connections say
/// <c>forge-soak</c>, so that a child <c>forge</c> process's own sessions can be told apart.
/// </summary>
public sealed class SoakWorld : IAsyncDisposable
{
    public const string ApplicationName = "forge-soak";

    private SoakWorld(ForgeApp app, string connectionString, string storePath)
    {
        App = app;
        ConnectionString = connectionString;
        StorePath = storePath;
        DataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
    }

    public ForgeApp App { get; }

    /// <summary>The database, as a child <c>forge</c> process is given it.</summary>
    public string ConnectionString { get; }

    public string StorePath { get; }

    public NpgsqlDataSource DataSource { get; }

    public SyntheticImages Images => App.Services.GetRequiredService<SyntheticImages>();

    public FolderContentStore Store => App.Services.GetRequiredService<FolderContentStore>();

    public DanglingImageCleanup ContainerCleanup() => App.Services.GetRequiredService<DanglingImageCleanup>();

    public ExpiredDataCleanup ExpiredDataCleanup() => App.Services.GetRequiredService<ExpiredDataCleanup>();

    /// <summary>Composes the modules over <paramref name="connectionString"/> and applies the migrations.</summary>
    public static async Task<SoakWorld> CreateAsync(string connectionString, string storePath, CancellationToken cancellationToken)
    {
        var own = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ApplicationName, MaxPoolSize = 40 };
        var app = await ForgeApp.CreateAsync(new ForgeAppOptions
        {
            Settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Forge"] = own.ConnectionString,
                ["Forge:Packages:StorePath"] = storePath,
                // Every cleanup run logs a summary; the soak prints its own.
                ["Logging:LogLevel:Default"] = "Warning",
            },
        }, cancellationToken);
        try
        {
            await app.MigrateAsync(cancellationToken);
            return new SoakWorld(app, connectionString, storePath);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
