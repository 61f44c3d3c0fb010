using System.Security.Cryptography;
using Forge.Host.Hosting;
using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
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

    private readonly bool ownsDatabase;

    protected ForgeTestWorld(ForgeTestWorld world)
        : this(world.Database, world.App, world.StorePath, world.Now, world.ownsDatabase)
    {
    }

    private ForgeTestWorld(TestDatabase database, ForgeApp app, string storePath, long now, bool ownsDatabase)
    {
        Database = database;
        App = app;
        StorePath = storePath;
        Now = now;
        this.ownsDatabase = ownsDatabase;
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
        => await CreateOnAsync(await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync(), ownsDatabase: true, configureServices, useScheduler, settings);

    /// <summary>
    /// A second node beside <paramref name="first"/>: another host over the same database, with a folder of its own
    /// (the content store's, unless <paramref name="settings"/> put it in a bucket); the database stays with the first.
    /// </summary>
    public static Task<ForgeTestWorld> JoinAsync(
        ForgeTestWorld first, Action<IServiceCollection>? configureServices = null, bool useScheduler = false, params (string Key, string? Value)[] settings)
        => CreateOnAsync(first.Database, ownsDatabase: false, configureServices, useScheduler, settings);

    private static async Task<ForgeTestWorld> CreateOnAsync(
        TestDatabase database, bool ownsDatabase, Action<IServiceCollection>? configureServices, bool useScheduler, (string Key, string? Value)[] settings)
    {
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
        return new ForgeTestWorld(database, app, storePath, now.ToUnixTimeSeconds(), ownsDatabase);
    }

    public async Task<long> PackageAsync(string name, string type = "container", long ownerId = 1)
        => await ScalarAsync<long>("INSERT INTO package (owner_id, type, name, lower_name) VALUES ($1, $2, $3, lower($3)) RETURNING id", ownerId, type, name);

    public async Task<long> VersionAsync(long packageId, string version, long created, string? metadata)
        => await ScalarAsync<long>(
            "INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json) VALUES ($1, $2, lower($2), $3, $4) RETURNING id",
            packageId, version, created, (object?)metadata ?? DBNull.Value);

    public async Task<long> PropertyAsync(long refType, long refId, string name, string value)
        => await ScalarAsync<long>("INSERT INTO package_property (ref_type, ref_id, name, value) VALUES ($1, $2, $3, $4) RETURNING id", refType, refId, name, value);

    /// <summary>A blob of random content in the store and its package_blob row, created at <paramref name="created"/>.</summary>
    public async Task<(long Id, string Hash, long Size)> BlobAsync(long created)
    {
        using var content = new MemoryStream(RandomNumberGenerator.GetBytes(1000 + RandomNumberGenerator.GetInt32(1000)));
        var (hash, size) = await Service<IContentStore>().SaveAsync(Service<ContentStaging>(), content, CancellationToken.None);
        return (await BlobRowAsync(hash, size, created), hash, size);
    }

    /// <summary>Which of <paramref name="hashes"/> the content store holds.</summary>
    public async Task<List<bool>> ContentExistsAsync(IEnumerable<string> hashes)
    {
        var store = Service<IContentStore>();
        var found = new List<bool>();
        foreach (var hash in hashes)
        {
            found.Add(await store.SizeOfAsync(hash, CancellationToken.None) is not null);
        }

        return found;
    }

    /// <summary>Whether the content store holds <paramref name="hash"/> (for assertions; blocks on the store).</summary>
    public bool HasContent(string hash) => Service<IContentStore>().SizeOfAsync(hash, CancellationToken.None).GetAwaiter().GetResult() is not null;

    /// <summary>
    /// Puts <paramref name="content"/> in the content store under <paramref name="hash"/>, whatever its bytes hash to, as a
    /// damaged disk or another program would leave it.
    /// </summary>
    public async Task PlantContentAsync(string hash, byte[] content)
    {
        var path = Path.Combine(Service<ContentStaging>().Root, "tmp", Path.GetRandomFileName());
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
        await Service<IContentStore>().PublishAsync(new StagedContent(path, hash, content.Length), CancellationToken.None);
    }

    /// <summary>The bytes of the content store's blobs (not of partial uploads or staged files).</summary>
    public async Task<long> StoredBytesAsync() => await Service<IContentStore>().EnumerateAsync(CancellationToken.None).Select(c => c.Size).SumAsync();

    /// <summary>A package_blob row alone, its other hashes made up from <paramref name="hash"/>.</summary>
    public async Task<long> BlobRowAsync(string hash, long size, long created)
        => await ScalarAsync<long>(
            "INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            size, hash[..32], hash[..40], hash, hash + hash, created);

    /// <summary>A file of a version using a blob, with a digest property, as a registry writes one.</summary>
    public async Task<long> FileAsync(long version, long blob, long created, string name)
    {
        var file = await ScalarAsync<long>(
            "INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, created_unix) VALUES ($1, $2, $3, $3, '', $4) RETURNING id",
            version, blob, name, created);
        await PropertyAsync(1, file, "container.digest", "sha256:x");
        return file;
    }

    /// <summary>A container repository's internal upload version, as Forgejo's registry writes it.</summary>
    public async Task<long> UploadVersionAsync(long package)
        => await ScalarAsync<long>(
            "INSERT INTO package_version (package_id, version, lower_version, created_unix, is_internal, metadata_json) VALUES ($1, '_upload', '_upload', $2, true, 'null') RETURNING id",
            package, Old);

    /// <summary>An upload session last updated at <paramref name="updated"/>, with 3 bytes in its partial file; returns the file's path.</summary>
    public async Task<string> UploadSessionAsync(string id, long updated)
    {
        await ExecuteAsync("INSERT INTO package_blob_upload (id, bytes_received, created_unix, updated_unix) VALUES ($1, 3, $2, $2)", id, updated);
        var path = Service<ContentStaging>().UploadPathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        return path;
    }

    /// <summary>A file of 4 bytes at <paramref name="path"/>, last written at <paramref name="written"/>.</summary>
    public static async Task<string> StrayFileAsync(string path, DateTime written)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [1, 2, 3, 4]);
        File.SetLastWriteTimeUtc(path, written);
        return path;
    }

    /// <summary>A run of the expired-data cleanup with the default 24h window.</summary>
    public Task<ExpiredDataCleanupReport> ExpiredDataCleanupAsync(bool dryRun = false)
        => Service<ExpiredDataCleanup>().RunAsync(new ExpiredDataCleanupOptions(TimeSpan.FromHours(24), dryRun), CancellationToken.None);

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
        if (ownsDatabase)
        {
            await Database.DisposeAsync();
        }

        if (Directory.Exists(StorePath))
        {
            Directory.Delete(StorePath, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
