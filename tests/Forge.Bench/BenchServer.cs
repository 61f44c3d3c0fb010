using System.Globalization;
using Forge.Host.Database;
using Npgsql;

namespace Forge.Bench;

/// <summary>Row count and a checksum of the ids of one table.</summary>
public sealed record TableState(string Table, long Rows, string IdChecksum);

/// <summary>
/// The PostgreSQL server the benchmark works on, through an admin connection that may create databases:
/// its own throwaway cluster (the host's embedded cluster code, restarted once with benchmark settings),
/// or a server given by connection string (the test suite's).
/// </summary>
public sealed class BenchServer : IAsyncDisposable
{
    /// <summary>The settings of the benchmark's own cluster; the README names them.</summary>
    public static readonly IReadOnlyList<(string Name, string Value)> ClusterSettings =
    [
        ("shared_buffers", "1GB"),
        ("max_wal_size", "8GB"),
        ("checkpoint_timeout", "30min"),
    ];

    public static readonly string[] PackageTables = ["package", "package_version", "package_file", "package_property", "package_blob"];

    private readonly EmbeddedPostgres? cluster;
    private readonly bool keep;

    private BenchServer(string adminConnectionString, EmbeddedPostgres? cluster, bool keep)
    {
        AdminConnectionString = adminConnectionString;
        this.cluster = cluster;
        this.keep = keep;
    }

    public string AdminConnectionString { get; }

    /// <summary>The folder of the own cluster, null on a given server.</summary>
    public string? ClusterRoot => cluster?.Root;

    /// <summary>Uses the server that <paramref name="adminConnectionString"/> names; leaves it running.</summary>
    public static BenchServer Existing(string adminConnectionString) => new(adminConnectionString, null, keep: true);

    /// <summary>
    /// initdb and start a cluster under <paramref name="root"/> on a free loopback port (as the postgres
    /// user when run as root), set the benchmark's settings and restart it so that they all apply.
    /// </summary>
    public static async Task<BenchServer> StartClusterAsync(string root, bool keep)
    {
        var first = await EmbeddedPostgres.StartAsync(root);
        try
        {
            await using var connection = new NpgsqlConnection(Admin(first.ConnectionString));
            await connection.OpenAsync();
            foreach (var (name, value) in ClusterSettings)
            {
                await using var set = new NpgsqlCommand($"ALTER SYSTEM SET {name} = '{value}'", connection);
                await set.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await first.DisposeAsync();
        }

        // Started again on the same folder: same cluster and password, new port, settings in force.
        var cluster = await EmbeddedPostgres.StartAsync(root);
        return new BenchServer(Admin(cluster.ConnectionString), cluster, keep);
    }

    private static string Admin(string connectionString)
        => new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;

    public string ConnectionString(string database)
        => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = false }.ConnectionString;

    public async Task<string> ServerVersionAsync()
        => await ScalarAsync<string>(AdminConnectionString, "SELECT current_setting('server_version')");

    /// <summary>A new database, empty or a copy of <paramref name="template"/> (copied file by file where the server can).</summary>
    public async Task CreateDatabaseAsync(string name, string? template = null)
    {
        await DropDatabaseAsync(name);
        if (template is null)
        {
            await ExecuteAsync(AdminConnectionString, $"CREATE DATABASE {name}");
            return;
        }

        var version = int.Parse(await ScalarAsync<string>(AdminConnectionString, "SELECT current_setting('server_version_num')"), CultureInfo.InvariantCulture);
        await ExecuteAsync(AdminConnectionString, $"CREATE DATABASE {name} TEMPLATE {template}{(version >= 150000 ? " STRATEGY FILE_COPY" : string.Empty)}");
    }

    public Task DropDatabaseAsync(string name) => ExecuteAsync(AdminConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");

    /// <summary>Writes dirty pages out now, so that one contender does not pay for the previous one's writes; skipped without the right to.</summary>
    public async Task CheckpointAsync()
    {
        try
        {
            await ExecuteAsync(AdminConnectionString, "CHECKPOINT");
        }
        catch (PostgresException)
        {
            // Not a superuser (a server given to the test suite): no checkpoint, no harm to the figures' agreement.
        }
    }

    /// <summary>Rows and an order-independent checksum of the ids of every packages table, plus an md5 of the ordered package_version ids.</summary>
    public async Task<List<TableState>> StateAsync(string database)
    {
        var states = new List<TableState>();
        var connectionString = ConnectionString(database);
        foreach (var table in PackageTables)
        {
            var sql = table == "package_version"
                ? $"SELECT count(*)::text || ' ' || coalesce(md5(string_agg(id::text, ',' ORDER BY id)), '') FROM {table}"
                : $"SELECT count(*)::text || ' ' || coalesce(sum(hashint8(id)), 0)::text FROM {table}";
            var value = (await ScalarAsync<string>(connectionString, sql)).Split(' ');
            states.Add(new TableState(table, long.Parse(value[0], CultureInfo.InvariantCulture), value[1]));
        }

        return states;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (cluster is null || keep)
        {
            return;
        }

        await cluster.DisposeAsync();
        try
        {
            Directory.Delete(cluster.Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is no reason to fail the benchmark; the temp folder is the system's to clean.
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, sql);
    }

    /// <summary>One statement, without a time limit.</summary>
    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
