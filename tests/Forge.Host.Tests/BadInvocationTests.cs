using Forge.Host.Tests.Support;
using Forge.Modularity;
using Forge.Testing;
using Npgsql;

namespace Forge.Host.Tests;

/// <summary>
/// Bad command lines and bad configuration given to the built <c>forge</c> program (a child process, with the
/// environment an operator would give it) against a real database holding a registry the cleanup would
/// shrink: each exits with its code (2: usage or configuration, nothing done; 1: the database or the work
/// failed), says what is wrong in one line on standard error, never shows the password, and leaves every
/// row as it was.
/// </summary>
public sealed class BadInvocationTests : DatabaseTest
{
    private const string Cleanup = "packages container cleanup-sha256";

    /// <summary>How the connection string of a case is made from the test database's.</summary>
    public enum Target
    {
        /// <summary>The test database, as it is.</summary>
        Database,

        /// <summary>A closed port on 127.0.0.1.</summary>
        ClosedPort,

        /// <summary>The right server and user with a wrong password.</summary>
        WrongPassword,

        /// <summary>A database that exists but was never migrated.</summary>
        NeverMigrated,

        /// <summary>A database that does not exist.</summary>
        MissingDatabase,

        /// <summary>Text that is not a connection string, with the password in it.</summary>
        NotAConnectionString,

        /// <summary>A connection string with a key Npgsql does not know.</summary>
        UnknownKey,
    }

    /// <summary>One bad invocation: the command line, extra environment, where it points, and what it must say.</summary>
    public sealed record Invocation(string Name, string CommandLine, int ExitCode, string Culprit, string? Environment = null, Target Target = Target.Database)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<TestCaseData> Matrix() => Invocations.Select(i => new TestCaseData(i).SetArgDisplayNames(i.Name));

    public static IReadOnlyList<Invocation> Invocations { get; } =
    [
        // The command line.
        new("unknown option", $"{Cleanup} --bogus", ExitCodes.UsageError, "'--bogus'"),
        new("unknown command", "packages container frobnicate", ExitCodes.UsageError, "'frobnicate'"),
        new("option without its value", $"{Cleanup} --older-than", ExitCodes.UsageError, "--older-than"),
        new("option given twice", $"{Cleanup} --older-than 1h --older-than 2h", ExitCodes.UsageError, "--older-than"),
        new("--older-than -1h", $"{Cleanup} --older-than -1h", ExitCodes.UsageError, "--older-than '-1h' is not a duration: it is negative"),
        new("--older-than=-30m", $"{Cleanup} --older-than=-30m", ExitCodes.UsageError, "--older-than '-30m' is not a duration: it is negative"),
        new("--older-than abc", $"{Cleanup} --older-than abc", ExitCodes.UsageError, "--older-than 'abc' is not a duration"),
        new("--older-than without a unit", $"{Cleanup} --older-than 24", ExitCodes.UsageError, "--older-than '24' is not a duration: '24' has no unit"),
        new("--older-than in days", $"{Cleanup} --older-than 1d", ExitCodes.UsageError, "--older-than '1d' is not a duration: unknown unit 'd'"),
        new("--older-than 1000000h (114 years)", $"{Cleanup} --older-than 1000000h", ExitCodes.UsageError, "--older-than '1000000h' is too long: at most 438000h"),
        new("--older-than 100000000h (beyond year 1)", $"{Cleanup} --older-than 100000000h", ExitCodes.UsageError, "--older-than '100000000h' is too long"),
        new("--older-than beyond TimeSpan", $"{Cleanup} --older-than 99999999999999999999h", ExitCodes.UsageError, "it is too long"),
        new("packages cleanup --older-than 100000000h", "packages cleanup --dry-run --older-than 100000000h", ExitCodes.UsageError, "--older-than '100000000h' is too long"),
        new("packages fsck --repair --older-than 100000000h", "packages fsck --repair --older-than 100000000h", ExitCodes.UsageError, "--older-than '100000000h' is too long"),
        new("--batch-size 0", $"{Cleanup} --batch-size 0", ExitCodes.UsageError, "--batch-size 0 is out of range: use 1 to 100000"),
        new("--batch-size -5", $"{Cleanup} --batch-size -5", ExitCodes.UsageError, "--batch-size -5 is out of range"),
        new("--batch-size 100001", $"{Cleanup} --batch-size 100001", ExitCodes.UsageError, "--batch-size 100001 is out of range"),
        new("--batch-size lots", $"{Cleanup} --batch-size lots", ExitCodes.UsageError, "--batch-size 'lots' is not a whole number"),
        new("--batch-size 2.5", $"{Cleanup} --batch-size 2.5", ExitCodes.UsageError, "--batch-size '2.5' is not a whole number"),
        new("--batch-size beyond int", $"{Cleanup} --batch-size 99999999999", ExitCodes.UsageError, "--batch-size 99999999999 is out of range"),
        new("--workers 0", $"{Cleanup} --workers 0", ExitCodes.UsageError, "--workers 0 is out of range: use 1 to 16"),
        new("--workers 17", $"{Cleanup} --workers 17", ExitCodes.UsageError, "--workers 17 is out of range: use 1 to 16"),
        new("--workers two", $"{Cleanup} --workers two", ExitCodes.UsageError, "--workers 'two' is not a whole number"),

        // The configuration, from the environment.
        new("BatchSize=0", Cleanup, ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:BatchSize is '0'", "Forge__Cron__cleanup_container_sha256__BatchSize=0"),
        new("Workers=0", Cleanup, ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:Workers is '0'", "Forge__Cron__cleanup_container_sha256__Workers=0"),
        new("BatchSize=lots", Cleanup, ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:BatchSize is 'lots'", "Forge__Cron__cleanup_container_sha256__BatchSize=lots"),
        new("OlderThan=-1h", Cleanup, ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:OlderThan is '-1h': it is negative", "Forge__Cron__cleanup_container_sha256__OlderThan=-1h"),
        new("OlderThan=100000000h, cron run", "cron run cleanup_container_sha256", ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:OlderThan is '100000000h': must be at most 438000h", "Forge__Cron__cleanup_container_sha256__OlderThan=100000000h"),
        new("cleanup_packages OlderThan=1000000h", "packages cleanup --dry-run", ExitCodes.UsageError, "Forge:Cron:cleanup_packages:OlderThan is '1000000h'", "Forge__Cron__cleanup_packages__OlderThan=1000000h"),
        new("Schedule that never fires, run", "run", ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:Schedule is '0 0 0 30 2 ?': '0 0 0 30 2 ?' never fires", "Forge__Cron__cleanup_container_sha256__Schedule=0 0 0 30 2 ?"),
        new("Http:Urls not a URL, run", "run", ExitCodes.UsageError, "Forge:Http:Urls is '127.0.0.1:3000': '127.0.0.1:3000' is not a URL", "Forge__Http__Urls=127.0.0.1:3000"),
        new("Http:Urls with a bad port, run", "run", ExitCodes.UsageError, "Forge:Http:Urls is 'http://127.0.0.1:99999'", "Forge__Http__Urls=http://127.0.0.1:99999"),
        new("Http:Urls https, cron run", "cron run cleanup_container_sha256", ExitCodes.UsageError, "'https://127.0.0.1:3000' is not http://", "Forge__Http__Urls=https://127.0.0.1:3000"),
        new("Admin:Token of two words, run", "run", ExitCodes.UsageError, "Forge:Admin:Token contains white space or control characters: a token is one word", "Forge__Admin__Token=two words"),
        new("unknown key of the task", Cleanup, ExitCodes.UsageError, "Forge:Cron:cleanup_container_sha256:BatchSise is not a setting", "Forge__Cron__cleanup_container_sha256__BatchSise=10"),
        new("unknown cron task", Cleanup, ExitCodes.UsageError, "no cron task named 'cleanup_container_sha265'", "Forge__Cron__cleanup_container_sha265__Enabled=true"),
        new("Scheduler:Clustered not a boolean, run", "run", ExitCodes.UsageError, "Forge:Scheduler:Clustered is 'yes': it must be true or false", "Forge__Scheduler__Clustered=yes"),
        new("Registry:AnonymousPull not a boolean, run", "run", ExitCodes.UsageError, "Forge:Registry:AnonymousPull is 'maybe': it must be true or false", "Forge__Registry__AnonymousPull=maybe"),
        new("Registry:PullFlushInterval too short, run", "run", ExitCodes.UsageError, "Forge:Registry:PullFlushInterval is '100ms': it must be between 1s and 1h", "Forge__Registry__PullFlushInterval=100ms"),
        new("Registry:PullFlushInterval not a duration, run", "run", ExitCodes.UsageError, "Forge:Registry:PullFlushInterval is '1d': unknown unit 'd'", "Forge__Registry__PullFlushInterval=1d"),
        new("Storage:Type minio, run", "run", ExitCodes.UsageError, "Forge:Storage:Type is 'minio': it must be local or s3", "Forge__Storage__Type=minio"),
        new("Storage:Type s3 without a bucket, packages fsck", "packages fsck", ExitCodes.UsageError, "Forge:Storage:S3:Endpoint is not set", "Forge__Storage__Type=s3"),
        new("packages storage migrate --to gcs", "packages storage migrate --to gcs", ExitCodes.UsageError, "--to 'gcs' is not a store: use s3 or local"),
        new("unknown module", Cleanup, ExitCodes.UsageError, "Forge:Modules:Packages.Containers", "Forge__Modules__Packages.Containers__Enabled=false"),

        // The database.
        new("unreachable database", Cleanup, ExitCodes.Failure, "Failed to connect to 127.0.0.1", Target: Target.ClosedPort),
        new("wrong password", Cleanup, ExitCodes.Failure, "password authentication failed", Target: Target.WrongPassword),
        new("unreachable database, run", "run", ExitCodes.Failure, "Failed to connect to 127.0.0.1", Target: Target.ClosedPort),
        new("wrong password, run", "run", ExitCodes.Failure, "password authentication failed", Target: Target.WrongPassword),
        new("wrong password, migrate", "migrate", ExitCodes.Failure, "password authentication failed", Target: Target.WrongPassword),
        new("wrong password, cron run", "cron run cleanup_container_sha256", ExitCodes.Failure, "password authentication failed", Target: Target.WrongPassword),
        new("never migrated", Cleanup, ExitCodes.UsageError, "run 'forge migrate' first", Target: Target.NeverMigrated),
        new("never migrated, cron run", "cron run cleanup_container_sha256", ExitCodes.UsageError, "run 'forge migrate' first", Target: Target.NeverMigrated),
        new("database that does not exist", Cleanup, ExitCodes.Failure, "does not exist", Target: Target.MissingDatabase),
        new("not a connection string", Cleanup, ExitCodes.UsageError, "ConnectionStrings:Forge is not a valid PostgreSQL connection string", Target: Target.NotAConnectionString),
        new("connection string with an unknown key", Cleanup, ExitCodes.UsageError, "ConnectionStrings:Forge is not a valid PostgreSQL connection string", Target: Target.UnknownKey),
    ];

    private ScratchDirectory scratch = null!;
    private TestDatabase? neverMigrated;

    [SetUp]
    public async Task LoadRegistry()
    {
        scratch = new ScratchDirectory();
        var demo = await ForgeCli.RunAsync(new() { Settings = Settings(Database.ConnectionString) }, "packages", "container", "demo");
        Assert.That(demo.ExitCode, Is.EqualTo(ExitCodes.Success), demo.Error);
    }

    [TearDown]
    public async Task DropScratch()
    {
        if (neverMigrated is not null)
        {
            await neverMigrated.DisposeAsync();
            neverMigrated = null;
        }

        await scratch.DisposeAsync();
    }

    [TestCaseSource(nameof(Matrix))]
    public async Task A_bad_invocation_exits_with_its_code_says_what_is_wrong_in_one_line_and_changes_nothing(Invocation invocation)
    {
        var connectionString = await ConnectionStringAsync(invocation.Target);
        var before = await RowsAsync();

        var result = await RunAsync(connectionString, invocation.Environment, invocation.CommandLine);

        // The host logs which database it starts on before it reaches it; every other command says only what is wrong.
        var errorLines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => invocation.CommandLine != "run" || !line.Contains(" info: Forge.Host[0] Database: ", StringComparison.Ordinal))
            .ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(invocation.ExitCode), result.Error);
            Assert.That(errorLines, Has.Count.EqualTo(1), "one line on standard error");
            Assert.That(errorLines, Has.All.StartsWith("forge: error: ").And.All.Contains(invocation.Culprit));
            Assert.That(result.Output, Is.Empty, "nothing on standard output");
            Assert.That(result.Output + result.Error, Does.Not.Contain(Password(Database.ConnectionString)), "the password");
            Assert.That(result.Output + result.Error, Does.Not.Contain(WrongPassword), "the wrong password");
            Assert.That(await RowsAsync(), Is.EqualTo(before), "every row as it was");
            if (neverMigrated is not null)
            {
                Assert.That(await TablesAsync(neverMigrated), Is.Empty, "no table made in the database that was never migrated");
            }
        });
    }

    [Test]
    public async Task The_same_command_line_without_a_mistake_deletes_what_the_bad_ones_left()
    {
        var before = await RowsAsync();

        var result = await RunAsync(Database.ConnectionString, null, Cleanup);

        Assert.Multiple(async () =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
            Assert.That(result.Output, Does.Contain("deleted 5 version(s)"), "four dangling manifests and the SBOM of one of them");
            Assert.That(await RowsAsync(), Is.Not.EqualTo(before), "the demo registry has dangling images: the matrix's cases had something to lose");
        });
    }

    private const string WrongPassword = "not-the-password-8c1f";

    private async Task<string> ConnectionStringAsync(Target target)
    {
        var builder = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        switch (target)
        {
            case Target.ClosedPort:
                builder.Port = Ports.Closed();
                break;
            case Target.WrongPassword:
                builder.Password = WrongPassword;
                break;
            case Target.NeverMigrated:
                neverMigrated = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync(migrated: false);
                return neverMigrated.ConnectionString;
            case Target.MissingDatabase:
                builder.Database = "forge_no_such_database";
                break;
            case Target.NotAConnectionString:
                return $"postgres server on localhost with password {Password(Database.ConnectionString)}";
            case Target.UnknownKey:
                return builder.ConnectionString + ";Hots=127.0.0.1";
        }

        return builder.ConnectionString;
    }

    private async Task<CliResult> RunAsync(string connectionString, string? setting, string commandLine)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Forge"] = connectionString,
            ["Forge__Packages__StorePath"] = Path.Combine(scratch.Path, "packages"),
        };
        if (setting is not null)
        {
            environment[setting[..setting.IndexOf('=', StringComparison.Ordinal)]] = setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        using var host = HostProcess.Start(environment, commandLine.Split(' '));
        Assert.That(await host.WaitForExitAsync(Poll.Deadline), Is.True, host.Errors);
        return new CliResult(host.ExitCode, host.Output, host.Errors);
    }

    private Dictionary<string, string?> Settings(string connectionString)
        => ForgeSettings.For(connectionString, ("Forge:Packages:StorePath", Path.Combine(scratch.Path, "packages")));

    /// <summary>Every row of the packages schema and the run records, by count and by the sum of ids.</summary>
    private async Task<string?> RowsAsync()
        => await Database.ScalarAsync<string>("""
            SELECT concat_ws(' | ',
                (SELECT count(*) || ' ' || coalesce(sum(id), 0) FROM package),
                (SELECT count(*) || ' ' || coalesce(sum(id), 0) FROM package_version),
                (SELECT count(*) || ' ' || coalesce(sum(id), 0) FROM package_file),
                (SELECT count(*) || ' ' || coalesce(sum(id), 0) FROM package_blob),
                (SELECT count(*) || ' ' || coalesce(sum(id), 0) FROM package_property),
                (SELECT count(*) FROM forge_cron_run))
            """);

    private static Task<List<string>> TablesAsync(TestDatabase database)
        => database.ColumnAsync("SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");

    private static string Password(string connectionString)
        => new NpgsqlConnectionStringBuilder(connectionString).Password is { Length: > 0 } password
            ? password
            : throw new InvalidOperationException("The test server's connection string has no password to look for.");
}
