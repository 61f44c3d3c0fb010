using Forge.Host.Database;
using Forge.Host.Tests.Support;
using Npgsql;

namespace Forge.Host.Tests;

/// <summary>The embedded default database: a private cluster under a folder, started and stopped with the host.</summary>
[NonParallelizable]
public sealed class EmbeddedPostgresTests
{
    private ScratchDirectory scratch = null!;

    [SetUp]
    public void CreateFolder() => scratch = new ScratchDirectory();

    [TearDown]
    public async Task DeleteFolder() => await scratch.DisposeAsync();

    [Test]
    public async Task Start_creates_a_cluster_that_accepts_connections()
    {
        await using var server = await EmbeddedPostgres.StartAsync(scratch.Path);

        var database = await ScalarAsync(server, "SELECT current_database()");

        Assert.Multiple(() =>
        {
            Assert.That(database, Is.EqualTo(EmbeddedPostgres.DatabaseName));
            Assert.That(File.Exists(Path.Combine(server.DataDirectory, "PG_VERSION")), Is.True);
        });
    }

    [Test]
    public async Task Dispose_stops_the_server_process()
    {
        var server = await EmbeddedPostgres.StartAsync(scratch.Path);
        var running = PostgresProcesses.Of(server.DataDirectory);

        await server.DisposeAsync();

        var left = await PostgresProcesses.LeftAfterStopAsync(server.DataDirectory);
        Assert.Multiple(() =>
        {
            Assert.That(running, Is.Not.Empty, "the server ran before");
            Assert.That(left, Is.Empty);
        });
    }

    [Test]
    public async Task Starting_again_on_the_same_folder_reuses_the_cluster()
    {
        await using (var first = await EmbeddedPostgres.StartAsync(scratch.Path))
        {
            await ScalarAsync(first, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('from the first start') RETURNING note");
        }

        await using var second = await EmbeddedPostgres.StartAsync(scratch.Path);

        Assert.That(await ScalarAsync(second, "SELECT note FROM kept"), Is.EqualTo("from the first start"));
    }

    [Test]
    public async Task The_password_never_appears_in_the_log_file()
    {
        string password;
        string logFile;
        await using (var server = await EmbeddedPostgres.StartAsync(scratch.Path))
        {
            password = new NpgsqlConnectionStringBuilder(server.ConnectionString).Password!;
            logFile = server.LogFile;
            await ScalarAsync(server, "SELECT 'connected'");
        }

        // A second start takes the other path: the cluster exists and its password is read back.
        await (await EmbeddedPostgres.StartAsync(scratch.Path)).DisposeAsync();

        var log = await File.ReadAllTextAsync(logFile);
        Assert.Multiple(() =>
        {
            Assert.That(log, Does.Contain("database system is ready to accept connections"), "the log is the server's");
            Assert.That(log, Does.Not.Contain(password));
        });
    }

    private static async Task<string?> ScalarAsync(EmbeddedPostgres server, string sql)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
