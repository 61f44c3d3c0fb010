using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Forge.Host.Database;

/// <summary>
/// A private PostgreSQL cluster made from the machine's PostgreSQL binaries: created on first use under
/// one folder, listening on a free loopback port only (no Unix socket), with a generated password, and
/// stopped by <see cref="DisposeAsync"/>. When the process runs as root, the server runs as the
/// <c>postgres</c> user, which PostgreSQL requires. The process that starts the cluster owns it (an
/// exclusive lock on <c>owner.lock</c>); another Forge process on the same folder, such as a command
/// run while the host is up, attaches to the running cluster and leaves it running when it is done.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    public const string DatabaseName = "forge";
    public const string UserName = "forge";

    private readonly string clusterDirectory;
    private readonly string binDirectory;
    private readonly string? runAsUser;
    private readonly ILogger logger;
    private readonly FileStream? ownerLock;
    private bool stopped;

    private EmbeddedPostgres(string root, string binDirectory, string? runAsUser, int port, string password, FileStream? ownerLock, ILogger logger)
    {
        this.ownerLock = ownerLock;
        Root = root;
        clusterDirectory = Path.Combine(root, "cluster");
        this.binDirectory = binDirectory;
        this.runAsUser = runAsUser;
        Port = port;
        this.logger = logger;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = UserName,
            Password = password,
            Database = DatabaseName,
        }.ConnectionString;
    }

    /// <summary>The folder that holds the cluster, its log and its password file.</summary>
    public string Root { get; }

    public int Port { get; }

    /// <summary>Connects to the <c>forge</c> database as the cluster's owner. Holds the password: never log it.</summary>
    public string ConnectionString { get; }

    public string DataDirectory => Path.Combine(clusterDirectory, "data");

    public string LogFile => Path.Combine(clusterDirectory, "postgres.log");

    /// <summary>False when another process owns the running cluster and this one only attached to it.</summary>
    public bool IsOwner => ownerLock is not null;

    private static string PortFile(string root) => Path.Combine(root, "port");

    /// <summary>Creates the cluster under <paramref name="root"/> if it is not there, starts it, and creates the database.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(string root, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        logger ??= NullLogger.Instance;
        root = Path.GetFullPath(root);
        var binDirectory = FindBinDirectory();
        var runAsUser = Environment.UserName == "root" || geteuid() == 0 ? "postgres" : null;
        Directory.CreateDirectory(root);
        var ownerLock = TryTakeOwnership(Path.Combine(root, "owner.lock"));
        if (ownerLock is null)
        {
            return await AttachAsync(root, binDirectory, runAsUser, logger, cancellationToken);
        }

        EmbeddedPostgres? server = null;
        var startRequested = false;
        try
        {
            File.Delete(PortFile(root));
            var password = ReadOrCreatePassword(Path.Combine(root, "password"));
            server = new EmbeddedPostgres(root, binDirectory, runAsUser, FreeLoopbackPort(), password, ownerLock, logger);
            await server.InitializeAsync(password, cancellationToken);
            startRequested = true;
            await server.StartServerAsync(cancellationToken);
            await server.CreateDatabaseAsync(cancellationToken);
            await File.WriteAllTextAsync(PortFile(root), server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            return server;
        }
        catch
        {
            // Stopped or failed half-way (SIGTERM during start-up among them): leave no server behind.
            if (server is not null)
            {
                if (startRequested)
                {
                    await server.AwaitPidFileAsync();
                }

                await server.DisposeAsync();
            }
            else
            {
                await ownerLock.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// After a start cut short, the postmaster may still be coming up without its pid file, which
    /// pg_ctl stop needs: give it a moment to appear (or to show that nothing started).
    /// </summary>
    private async Task AwaitPidFileAsync()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        for (var i = 0; i < 10 && !File.Exists(pidFile); i++)
        {
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>Another live Forge process owns the cluster: wait until it is up, then use it as it is.</summary>
    private static async Task<EmbeddedPostgres> AttachAsync(string root, string binDirectory, string? runAsUser, ILogger logger, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (File.Exists(PortFile(root)) &&
                int.TryParse(await File.ReadAllTextAsync(PortFile(root), cancellationToken), out var port))
            {
                var password = (await File.ReadAllTextAsync(Path.Combine(root, "password"), cancellationToken)).Trim();
                var server = new EmbeddedPostgres(root, binDirectory, runAsUser, port, password, null, logger);
                try
                {
                    await using var connection = new NpgsqlConnection(server.ConnectionString);
                    await connection.OpenAsync(cancellationToken);
                    logger.LogInformation("Using the embedded PostgreSQL cluster that another Forge process runs on 127.0.0.1:{Port}", port);
                    return server;
                }
                catch (NpgsqlException) when (DateTime.UtcNow < deadline)
                {
                    // Still starting.
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException(
                    $"Another Forge process holds the embedded PostgreSQL cluster in {root}, but it did not come up within 60 s.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static FileStream? TryTakeOwnership(string lockFile)
    {
        try
        {
            // FileShare.None takes an exclusive lock that the kernel drops when the process dies.
            return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        if (ownerLock is null)
        {
            return;
        }

        File.Delete(PortFile(Root));
        await PgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], allowFailure: true, CancellationToken.None);
        logger.LogInformation("Stopped the embedded PostgreSQL cluster in {Directory}", clusterDirectory);
        await ownerLock.DisposeAsync();
    }

    /// <summary>
    /// Restarts the server on the same port and folder, ending every session (a fast shutdown), as an
    /// operator's restart does; the reliability tests restart a database under a running host with it.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        // pg_ctl restart starts the server with the options of its last start (postmaster.opts): same port.
        await PgCtlAsync(["restart", "-D", DataDirectory, "-m", "fast", "-l", LogFile, "-w", "-t", "60"], allowFailure: false, cancellationToken);
        logger.LogInformation("Restarted the embedded PostgreSQL cluster on 127.0.0.1:{Port}", Port);
    }

    private async Task InitializeAsync(string password, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(clusterDirectory);
        GiveToServerUser(clusterDirectory);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        logger.LogInformation("Creating the embedded PostgreSQL cluster in {Directory}", DataDirectory);
        var passwordFile = Path.Combine(clusterDirectory, ".initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            GiveToServerUser(passwordFile);
            var (exitCode, output) = await ProcessRunner.RunAsync(
                Path.Combine(binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", UserName, "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-instructions"],
                runAsUser,
                cancellationToken);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"initdb failed in {DataDirectory}: {LastLines(output)}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        // A host killed without a chance to stop its cluster leaves it running; it is ours, so stop it.
        var (status, _) = await PgCtlAsync(["status", "-D", DataDirectory], allowFailure: true, cancellationToken);
        if (status == 0)
        {
            logger.LogWarning("The embedded PostgreSQL cluster in {Directory} was left running; restarting it", DataDirectory);
            await PgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w"], allowFailure: true, cancellationToken);
        }

        var options = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories='' -c max_connections=200 -c fsync=on";
        await PgCtlAsync(["start", "-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60"], allowFailure: false, cancellationToken);
        logger.LogInformation("Started the embedded PostgreSQL cluster on 127.0.0.1:{Port}", Port);
    }

    private async Task CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(DatabaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task<(int ExitCode, string Output)> PgCtlAsync(string[] arguments, bool allowFailure, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(binDirectory, "pg_ctl"), arguments, runAsUser, cancellationToken);
        if (result.ExitCode != 0 && !allowFailure)
        {
            var log = File.Exists(LogFile) ? LastLines(await File.ReadAllTextAsync(LogFile, cancellationToken)) : string.Empty;
            throw new InvalidOperationException(
                $"pg_ctl {arguments[0]} failed for {DataDirectory}: {LastLines(result.Output)} {log}".Trim());
        }

        return result;
    }

    private void GiveToServerUser(string path)
    {
        if (runAsUser is null)
        {
            return;
        }

        var (exitCode, output) = ProcessRunner.RunAsync("chown", ["-R", $"{runAsUser}:", path], null, CancellationToken.None).GetAwaiter().GetResult();
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"Could not give {path} to the {runAsUser} user: {output}");
        }
    }

    private static string ReadOrCreatePassword(string passwordFile)
    {
        if (File.Exists(passwordFile))
        {
            return File.ReadAllText(passwordFile).Trim();
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(passwordFile, password);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return password;
    }

    /// <summary>
    /// The folder with initdb and pg_ctl: <c>FORGE_PG_BINDIR</c>, else Debian's newest
    /// <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, else the folder of <c>pg_ctl</c> on PATH.
    /// </summary>
    public static string FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("FORGE_PG_BINDIR") is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "pg_ctl"))
                ? configured
                : throw new InvalidOperationException($"FORGE_PG_BINDIR={configured} has no pg_ctl in it.");
        }

        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "initdb")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found: install them (apt-get install postgresql) " +
            "or set ConnectionStrings:Forge to an existing database.");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string LastLines(string text)
        => string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(5));

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a single libc call; the source-generated form buys nothing here
    private static extern uint geteuid();
#pragma warning restore SYSLIB1054, CA5392
}
