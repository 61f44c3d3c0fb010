using System.Security.Cryptography;
using System.Text;
using Forge.Host.Hosting;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Registry;
using Forge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>A fixed clock, so that versions can be put exactly at the cutoff.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// One test's world: a fresh migrated database, a composed Forge host over it (no scheduler), the real
/// write path, the real cleanup, and raw SQL for rows other tools might have written.
/// </summary>
public sealed class CleanupHarness : IAsyncDisposable
{
    public const long Day = 86_400;

    private CleanupHarness(TestDatabase database, ForgeApp app, string storePath, long now)
    {
        Database = database;
        App = app;
        StorePath = storePath;
        Now = now;
    }

    public TestDatabase Database { get; }
    public ForgeApp App { get; }
    public string StorePath { get; }

    /// <summary>The clock of the host: cutoff = Now - OlderThan, exactly.</summary>
    public long Now { get; }

    /// <summary>Three days old: older than the default 24h cutoff.</summary>
    public long Old => Now - (3 * Day);

    /// <summary>One hour old: younger than the default 24h cutoff.</summary>
    public long Young => Now - 3600;

    public ContainerImageWriter Writer => App.Services.GetRequiredService<ContainerImageWriter>();

    public static async Task<CleanupHarness> CreateAsync(
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
        return new CleanupHarness(database, app, storePath, now.ToUnixTimeSeconds());
    }

    public Task<CleanupReport> CleanupAsync(TimeSpan? olderThan = null, int batchSize = 500, bool dryRun = false)
        => App.Services.GetRequiredService<DanglingImageCleanup>()
            .RunAsync(new CleanupOptions(olderThan ?? TimeSpan.FromHours(24), batchSize, dryRun), CancellationToken.None);

    /// <summary>A digest that no real content has: <c>sha256:</c> and the SHA-256 of <paramref name="seed"/>.</summary>
    public static string Digest(string seed) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>Pushes a platform manifest by digest (as a mirror does first) with a config and one layer.</summary>
    public Task<PushedManifest> PushPlatformAsync(string repository, long created, string platform = "linux/amd64", string? tag = null)
        => Writer.PushImageAsync(1, repository, tag, platform,
            new ImageBlob(Encoding.UTF8.GetBytes($"{{\"config\":\"{Guid.NewGuid():N}\"}}"), "application/vnd.oci.image.config.v1+json"),
            [new ImageBlob(RandomNumberGenerator.GetBytes(512), "application/vnd.oci.image.layer.v1.tar+gzip")],
            created);

    /// <summary>Pushes an index of <paramref name="children"/> by tag, or by digest when <paramref name="tag"/> is null.</summary>
    public Task<PushedManifest> PushIndexAsync(string repository, string? tag, long created, params PushedManifest[] children)
        => Writer.PushIndexAsync(1, repository, tag, children.Select(c => new IndexEntry(c.Digest, "linux/amd64")).ToList(), created);

    public async Task<long> PackageAsync(string name, string type = "container", long ownerId = 1)
        => await ScalarAsync<long>("INSERT INTO package (owner_id, type, name, lower_name) VALUES ($1, $2, $3, lower($3)) RETURNING id", ownerId, type, name);

    public async Task<long> VersionAsync(long packageId, string version, long created, string? metadata)
        => await ScalarAsync<long>(
            "INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json) VALUES ($1, $2, lower($2), $3, $4) RETURNING id",
            packageId, version, created, (object?)metadata ?? DBNull.Value);

    public async Task<long> PropertyAsync(long refType, long refId, string name, string value)
        => await ScalarAsync<long>("INSERT INTO package_property (ref_type, ref_id, name, value) VALUES ($1, $2, $3, $4) RETURNING id", refType, refId, name, value);

    public async Task<bool> VersionExistsAsync(long id) => await ScalarAsync<long>("SELECT count(*) FROM package_version WHERE id = $1", id) == 1;

    public async Task<long> PackageIdOfAsync(long versionId) => await ScalarAsync<long>("SELECT package_id FROM package_version WHERE id = $1", versionId);

    public async Task<long> CountAsync(string sql, params object[] parameters) => await ScalarAsync<long>(sql, parameters);

    public async Task ExecuteAsync(string sql, params object[] parameters) => await ScalarAsync<object>(sql, parameters);

    /// <summary>Every row count of the shared schema, to compare before and after.</summary>
    public async Task<string> SnapshotAsync()
        => await ScalarAsync<string>("""
            SELECT concat_ws(' ', (SELECT count(*) FROM package), (SELECT count(*) FROM package_version),
                (SELECT count(*) FROM package_file), (SELECT count(*) FROM package_blob), (SELECT count(*) FROM package_property))
            """) ?? string.Empty;

    /// <summary>
    /// Invariants 2 and 3 of the reliability suite: no index names a version missing from its package, and
    /// no file or property whose owner is gone. Returns what is wrong, one line each.
    /// </summary>
    public async Task<List<string>> BrokenReferencesAsync()
    {
        var problems = new List<string>();
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand("SELECT id, package_id, metadata_json FROM package_version", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var versions = new List<(long Id, long PackageId, string? Metadata)>();
            while (await reader.ReadAsync())
            {
                versions.Add((reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }

            await reader.CloseAsync();
            foreach (var (id, packageId, metadata) in versions)
            {
                foreach (var digest in ManifestReferences.Parse(metadata).Digests)
                {
                    await using var exists = new NpgsqlCommand("SELECT count(*) FROM package_version WHERE package_id = $1 AND lower_version = $2", connection);
                    exists.Parameters.AddWithValue(packageId);
                    exists.Parameters.AddWithValue(digest);
                    if ((long)(await exists.ExecuteScalarAsync())! == 0)
                    {
                        problems.Add($"version {id} references missing {digest}");
                    }
                }
            }
        }

        await using (var orphans = new NpgsqlCommand("""
            SELECT 'file ' || f.id || ' without version' FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_version v WHERE v.id = f.version_id)
            UNION ALL SELECT 'file ' || f.id || ' without blob' FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_blob b WHERE b.id = f.blob_id)
            UNION ALL SELECT 'version property ' || p.id FROM package_property p WHERE p.ref_type = 0 AND NOT EXISTS (SELECT 1 FROM package_version v WHERE v.id = p.ref_id)
            UNION ALL SELECT 'file property ' || p.id FROM package_property p WHERE p.ref_type = 1 AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.id = p.ref_id)
            UNION ALL SELECT 'version property ' || p.id || ' references missing ' || p.value FROM package_property p
                JOIN package_version v ON v.id = p.ref_id
                WHERE p.ref_type = 0 AND p.name = 'container.manifest.reference'
                AND NOT EXISTS (SELECT 1 FROM package_version t WHERE t.package_id = v.package_id AND t.lower_version = lower(p.value))
            """, connection))
        await using (var reader = await orphans.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                problems.Add(reader.GetString(0));
            }
        }

        return problems;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        if (Directory.Exists(StorePath))
        {
            Directory.Delete(StorePath, recursive: true);
        }
    }

    private async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
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
}
