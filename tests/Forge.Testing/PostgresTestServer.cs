using Forge.Host.Database;
using Forge.Host.Hosting;
using Npgsql;

namespace Forge.Testing;

/// <summary>
/// The PostgreSQL server a test assembly runs against: the server named by <c>FORGE_TEST_PG</c> (an admin
/// connection string), or else a throwaway cluster made with initdb and pg_ctl on a free loopback port.
/// Each fixture gets a database of its own, copied from a template that the real migrations built.
/// </summary>
public sealed class PostgresTestServer : IAsyncDisposable
{
    private static readonly SharedTestServer<PostgresTestServer> Shared = new(StartAsync);
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);

    private readonly EmbeddedPostgres? cluster;
    private readonly string? clusterRoot;
    private readonly string templateName;
    private bool templateReady;
    private int databases;

    private PostgresTestServer(string adminConnectionString, EmbeddedPostgres? cluster, string? clusterRoot)
    {
        AdminConnectionString = adminConnectionString;
        this.cluster = cluster;
        this.clusterRoot = clusterRoot;
        templateName = $"forge_template_{Environment.ProcessId}";
    }

    /// <summary>Connects to the <c>postgres</c> database with the right to create databases.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The throwaway cluster, when this server is one (null with FORGE_TEST_PG).</summary>
    public EmbeddedPostgres? Cluster => cluster;

    /// <summary>The server shared by the whole test assembly, started on first use.</summary>
    public static Task<PostgresTestServer> SharedAsync() => Shared.GetAsync();

    /// <summary>Stops the shared server; called by each test assembly's [SetUpFixture].</summary>
    public static Task StopSharedAsync() => Shared.StopAsync();

    /// <summary>A new, empty database with the whole schema migrated, dropped when disposed.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(bool migrated = true)
    {
        if (migrated)
        {
            await EnsureTemplateAsync();
        }

        var name = $"forge_test_{Environment.ProcessId}_{Interlocked.Increment(ref databases)}";
        await ExecuteAsync(migrated ? $"CREATE DATABASE {name} TEMPLATE {templateName}" : $"CREATE DATABASE {name}");
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name };
        return new TestDatabase(this, name, builder.ConnectionString);
    }

    internal async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
            try
            {
                Directory.Delete(clusterRoot!, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is no reason to fail the run; /tmp is cleaned by the system.
            }
        }
        else if (templateReady)
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS {templateName} WITH (FORCE)");
        }
    }

    private static async Task<PostgresTestServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("FORGE_TEST_PG") is { Length: > 0 } configured)
        {
            return new PostgresTestServer(configured, null, null);
        }

        var root = Path.Combine(Path.GetTempPath(), $"forge-test-pg-{Guid.NewGuid():N}");
        var cluster = await EmbeddedPostgres.StartAsync(root);
        var admin = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "postgres" };
        return new PostgresTestServer(admin.ConnectionString, cluster, root);
    }

    private async Task EnsureTemplateAsync()
    {
        await TemplateGate.WaitAsync();
        try
        {
            if (templateReady)
            {
                return;
            }

            await ExecuteAsync($"DROP DATABASE IF EXISTS {templateName} WITH (FORCE)");
            await ExecuteAsync($"CREATE DATABASE {templateName}");
            var connectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = templateName }.ConnectionString;
            await using (var app = await ForgeApp.CreateAsync(new ForgeAppOptions { Settings = ForgeSettings.For(connectionString) }))
            {
                await app.MigrateAsync(CancellationToken.None);
            }

            // CREATE DATABASE ... TEMPLATE needs the template to have no connections left.
            NpgsqlConnection.ClearAllPools();
            templateReady = true;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A database of one fixture; dropped when disposed.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly PostgresTestServer server;

    internal TestDatabase(PostgresTestServer server, string name, string connectionString)
    {
        this.server = server;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlConnection Connect()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row the query returns, as text; <paramref name="parameters"/> are $1, $2, ...</summary>
    public async Task<List<string>> ColumnAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => new(server.DropDatabaseAsync(Name));
}

/// <summary>Settings for a Forge host in tests: the given database, logs quiet but for warnings, HTTP on a free loopback port.</summary>
public static class ForgeSettings
{
    public static Dictionary<string, string?> For(string connectionString, params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Forge"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Forge:DataPath"] = Path.Combine(Path.GetTempPath(), $"forge-test-data-{Environment.ProcessId}"),
            ["Forge:Http:Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }
}
