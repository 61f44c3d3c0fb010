using Forge.Host.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Testing;

/// <summary>A fixed clock, so that rows can be put exactly at a cutoff.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// One test's world: a fresh migrated database, a composed Forge host over it (no scheduler unless asked),
/// a content store folder of its own, a fixed clock, and raw SQL for rows other tools might have written.
/// </summary>
public class ForgeTestWorld : IAsyncDisposable
{
    public const long Day = 86_400;

    protected ForgeTestWorld(ForgeTestWorld world)
        : this(world.Database, world.App, world.StorePath, world.Now)
    {
    }

    private ForgeTestWorld(TestDatabase database, ForgeApp app, string storePath, long now)
    {
        Database = database;
        App = app;
        StorePath = storePath;
        Now = now;
    }

    public TestDatabase Database { get; }
    public ForgeApp App { get; }
    public string StorePath { get; }

    /// <summary>The host's clock (the real one when the scheduler runs: Quartz needs time to pass).</summary>
    public long Now { get; }

    /// <summary>Three days old: older than the default 24h cutoff.</summary>
    public long Old => Now - (3 * Day);

    /// <summary>One hour old: younger than the default 24h cutoff.</summary>
    public long Young => Now - 3600;

    public T Service<T>()
        where T : notnull
        => App.Services.GetRequiredService<T>();

    public static async Task<ForgeTestWorld> CreateAsync(
        Action<IServiceCollection>? configureServices = null, bool useScheduler = false, params (string Key, string? Value)[] settings)
    {
        var database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        var storePath = Path.Combine(Path.GetTempPath(), $"forge-store-{Guid.NewGuid():N}");
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var app = await ForgeApp.CreateAsync(new ForgeAppOptions
        {
            Settings = ForgeSettings.For(database.ConnectionString, [("Forge:Packages:StorePath", storePath), .. settings]),
            UseScheduler = useScheduler,
            ConfigureServices = services =>
            {
                // Quartz takes its clock from the container too: a scheduler needs the real one.
                if (!useScheduler)
                {
                    services.AddSingleton<TimeProvider>(new FixedClock(now));
                }

                configureServices?.Invoke(services);
            },
        });
        return new ForgeTestWorld(database, app, storePath, now.ToUnixTimeSeconds());
    }

    public async Task<long> PackageAsync(string name, string type = "container", long ownerId = 1)
        => await ScalarAsync<long>("INSERT INTO package (owner_id, type, name, lower_name) VALUES ($1, $2, $3, lower($3)) RETURNING id", ownerId, type, name);

    public async Task<long> VersionAsync(long packageId, string version, long created, string? metadata)
        => await ScalarAsync<long>(
            "INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json) VALUES ($1, $2, lower($2), $3, $4) RETURNING id",
            packageId, version, created, (object?)metadata ?? DBNull.Value);

    public async Task<long> PropertyAsync(long refType, long refId, string name, string value)
        => await ScalarAsync<long>("INSERT INTO package_property (ref_type, ref_id, name, value) VALUES ($1, $2, $3, $4) RETURNING id", refType, refId, name, value);

    public async Task<bool> VersionExistsAsync(long id) => await ScalarAsync<long>("SELECT count(*) FROM package_version WHERE id = $1", id) == 1;

    public async Task<long> CountAsync(string sql, params object[] parameters) => await ScalarAsync<long>(sql, parameters);

    public async Task ExecuteAsync(string sql, params object[] parameters) => await ScalarAsync<object>(sql, parameters);

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Every row count of the shared schema, to compare before and after.</summary>
    public async Task<string> SnapshotAsync()
        => await ScalarAsync<string>("""
            SELECT concat_ws(' ', (SELECT count(*) FROM package), (SELECT count(*) FROM package_version),
                (SELECT count(*) FROM package_file), (SELECT count(*) FROM package_blob), (SELECT count(*) FROM package_property),
                (SELECT count(*) FROM package_blob_upload))
            """) ?? string.Empty;

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        if (Directory.Exists(StorePath))
        {
            Directory.Delete(StorePath, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
