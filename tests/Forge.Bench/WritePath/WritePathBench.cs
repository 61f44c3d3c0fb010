using System.Diagnostics;
using Forge.Accounts;
using Forge.Bench.Registry;
using Forge.Host.Hosting;
using Forge.Tooling;
using Npgsql;

namespace Forge.Bench.WritePath;

/// <summary>What one write-path benchmark does: how many manifests, how many runs, how many clients at once.</summary>
public sealed record WritePathBenchOptions
{
    public int Manifests { get; init; } = 10_000;
    public int Runs { get; init; } = 3;
    public int Seed { get; init; } = 1;

    /// <summary>Clients pushing at once in the concurrent mode, a repository each; 1 leaves the concurrent mode out.</summary>
    public int Pushers { get; init; } = 4;

    /// <summary>Keep the template, the last run's databases and the servers' folders.</summary>
    public bool Keep { get; init; }

    public string ForgeDll { get; init; } = typeof(ForgeApp).Assembly.Location;

    /// <summary>Manifests pushed untimed into repositories of their own before the timed ones (the new process's JIT, the first pages).</summary>
    public int WarmupManifests => Math.Min(250, Manifests / 4);
}

/// <summary>
/// One contender's push in one mode: the wall time of the manifest PUTs, the CPU that <c>forge run</c> and the
/// PostgreSQL server used meanwhile, the WAL written meanwhile (<c>pg_current_wal_lsn</c> before and after), and what
/// the database holds afterwards (versions not internal, files, properties, its size, which of
/// <see cref="WritePathSchema.All"/> it has). Medians have run 0.
/// </summary>
public sealed record WritePathPhase(
    string Contender,
    string Mode,
    int Run,
    int Manifests,
    double Seconds,
    double ServerCpuSeconds,
    double? DatabaseCpuSeconds,
    long WalBytes,
    long Versions,
    long Files,
    long Properties,
    long DatabaseBytes,
    IReadOnlyList<string> AdditionsPresent)
{
    public double MillisecondsPerManifest => Seconds * 1000 / Manifests;

    public double WalBytesPerManifest => (double)WalBytes / Manifests;
}

/// <summary>As migrated over <see cref="Without"/>, in one mode, of the medians: above 1 is what the additions cost.</summary>
public sealed record WritePathRatio(string Mode, string Without, double Seconds, double ServerCpu, double? DatabaseCpu, double Wal);

public sealed record WritePathIndexSize(string Index, long Bytes);

public sealed record WritePathBenchResult
{
    public required WritePathBenchOptions Options { get; init; }
    public required string ServerVersion { get; init; }
    public required int Processors { get; init; }
    public required string LoadBefore { get; init; }
    public required string LoadAfter { get; init; }
    public required IReadOnlyList<WritePathContender> Contenders { get; init; }
    public required IReadOnlyList<WritePathPhase> AllPhases { get; init; }
    public required IReadOnlyList<WritePathPhase> Medians { get; init; }
    public required IReadOnlyList<WritePathRatio> Ratios { get; init; }

    /// <summary>The added indexes' sizes after the last sequential push on the database as migrated.</summary>
    public required IReadOnlyList<WritePathIndexSize> IndexSizes { get; init; }
}

/// <summary>
/// The write path's price for the schema additions of the container cleanup: the same manifests pushed over HTTP into
/// a real <c>forge run</c>, on a database as migrated and on databases where the additions were dropped
/// (<see cref="WritePathSchema.Contenders"/>), one contender after the other on one cluster, the order reversed every
/// other run, sequentially (one client) and concurrently (<see cref="WritePathBenchOptions.Pushers"/> clients). Each
/// push gets a fresh copy of a migrated template, a fresh server with the cron tasks off, an untimed warm-up, the
/// blobs uploaded untimed, and a CHECKPOINT; then only the manifest PUTs are timed. Every contender must end with the
/// same rows in each mode (the benchmark stops otherwise).
/// </summary>
public sealed class WritePathBench(BenchServer server, WritePathBenchOptions options, TextWriter log)
{
    public const string Sequential = "sequential";
    public const string Concurrent = "concurrent";
    private const string Owner = "bench";
    private static readonly RegistryAccount Account = new(Owner, "the write path bench's password");
    private static readonly string[] CronTasks = ["cleanup_package_rules", "cleanup_container_sha256", "cleanup_packages"];

    private readonly string prefix = $"bench_writepath_{Environment.ProcessId}_";

    private string Template => prefix + "template";

    private IReadOnlyList<string> Modes => options.Pushers > 1 ? [Sequential, Concurrent] : [Sequential];

    public async Task<WritePathBenchResult> RunAsync()
    {
        var loadBefore = LoadAverage.Now();
        await server.CreateDatabaseAsync(Template);
        await ForgeMigrate.RunAsync(options.ForgeDll, server.ConnectionString(Template));
        await AddAccountAsync();
        var databaseCpu = await DatabaseCpu.FindAsync(server.AdminConnectionString);
        var workload = WritePathWorkload.Create(Owner, "app", options.Manifests, options.Pushers, options.Seed);
        var warmup = WritePathWorkload.Create(Owner, "warmup", options.WarmupManifests, options.Pushers, options.Seed + 1);
        log.WriteLine($"{options.Manifests:N0} manifests in {workload.Repositories.Count} repositories ({workload.Blobs.Count} blobs each), " +
                      $"{options.WarmupManifests} untimed first; modes {string.Join(", ", Modes)}; {options.Runs} runs");

        var phases = new List<WritePathPhase>();
        var indexSizes = new List<WritePathIndexSize>();
        for (var run = 1; run <= options.Runs; run++)
        {
            var order = run % 2 == 1 ? WritePathSchema.Contenders : WritePathSchema.Contenders.Reverse().ToList();
            foreach (var mode in Modes)
            {
                foreach (var contender in order)
                {
                    var last = run == options.Runs;
                    var (phase, sizes) = await PhaseAsync(run, mode, contender, workload, warmup, databaseCpu, keep: options.Keep && last);
                    phases.Add(phase);
                    if (sizes is not null && mode == Sequential)
                    {
                        indexSizes = sizes;
                    }
                }
            }
        }

        CheckSameRows(phases);
        if (!options.Keep)
        {
            await server.DropDatabaseAsync(Template);
        }

        var medians = MedianPhases(phases);
        return new WritePathBenchResult
        {
            Options = options,
            ServerVersion = await server.ServerVersionAsync(),
            Processors = Environment.ProcessorCount,
            LoadBefore = loadBefore,
            LoadAfter = LoadAverage.Now(),
            Contenders = WritePathSchema.Contenders,
            AllPhases = phases,
            Medians = medians,
            Ratios = Ratios(medians),
            IndexSizes = indexSizes,
        };
    }

    private async Task<(WritePathPhase Phase, List<WritePathIndexSize>? IndexSizes)> PhaseAsync(
        int run, string mode, WritePathContender contender, WritePathWorkload workload, WritePathWorkload warmup, DatabaseCpu? databaseCpu, bool keep)
    {
        var database = $"{prefix}{run}_{mode}_{WritePathSchema.Contenders.ToList().IndexOf(contender)}";
        await server.CreateDatabaseAsync(database, Template);
        await DropAsync(database, contender);
        var directory = Directory.CreateTempSubdirectory("forge-bench-writepath-").FullName;
        try
        {
            var settings = new Dictionary<string, string>
            {
                // Pooled, as a server is configured (the bench's own connections are not).
                [ChildProcessCommand.ForgeConnectionString] = new NpgsqlConnectionStringBuilder(server.ConnectionString(database)) { Pooling = true }.ConnectionString,
            };
            foreach (var task in CronTasks)
            {
                // The cleanups run at start by default; the figures are the pushes' alone (and the dangling image cleanup reads may_name_digest).
                settings[$"Forge__Cron__{task}__Enabled"] = "false";
            }

            WritePathPhase phase;
            List<WritePathIndexSize>? sizes = null;
            await using (var forge = await RegistryServer.StartForgeRunAsync(options.ForgeDll, directory, Account, settings))
            {
                await UploadBlobsAsync(forge.Host, warmup);
                await PushManifestsAsync(forge.Host, Clients(warmup, mode));
                await UploadBlobsAsync(forge.Host, workload);
                var clients = Clients(workload, mode);
                await server.CheckpointAsync();

                var wal = await WalPositionAsync();
                var serverCpu = forge.CpuSeconds();
                var postgresCpu = databaseCpu?.Seconds();
                var clock = Stopwatch.StartNew();
                await PushManifestsAsync(forge.Host, clients);
                var seconds = clock.Elapsed.TotalSeconds;
                var walBytes = await WalPositionAsync() - wal;
                var serverCpuSeconds = forge.CpuSeconds() - serverCpu;
                var postgresCpuSeconds = databaseCpu?.Seconds() - postgresCpu;

                var (versions, files, properties, bytes) = await RowsAsync(database);
                phase = new WritePathPhase(
                    contender.Name, mode, run, options.Manifests, seconds, serverCpuSeconds, postgresCpuSeconds, walBytes, versions, files, properties, bytes,
                    await AdditionsPresentAsync(database));
                if (contender.Dropped.Count == 0)
                {
                    sizes = await IndexSizesAsync(database);
                }
            }

            log.WriteLine($"Run {run}, {mode}, {contender.Name}: {phase.Seconds:0.00} s ({phase.MillisecondsPerManifest:0.00} ms a manifest), " +
                          $"forge {phase.ServerCpuSeconds:0.0} s CPU, PostgreSQL {phase.DatabaseCpuSeconds:0.0} s CPU, WAL {phase.WalBytes / 1048576.0:0.0} MiB");
            return (phase, sizes);
        }
        finally
        {
            if (!keep)
            {
                await server.DropDatabaseAsync(database);
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Each repository's blobs, by one client (untimed).</summary>
    private static async Task UploadBlobsAsync(string host, WritePathWorkload workload)
    {
        using var client = new WritePathClient(host, Account);
        foreach (var repository in workload.Repositories)
        {
            foreach (var blob in workload.Blobs)
            {
                await client.UploadAsync(repository, blob);
            }
        }
    }

    /// <summary>The manifests: by one client in the sequential mode, by a client per repository in the concurrent one.</summary>
    private static async Task PushManifestsAsync(string host, IReadOnlyList<IReadOnlyList<WritePathManifest>> clients)
    {
        await Task.WhenAll(clients.Select(manifests => Task.Run(async () =>
        {
            using var client = new WritePathClient(host, Account);
            foreach (var manifest in manifests)
            {
                await client.PutAsync(manifest);
            }
        })));
    }

    /// <summary>What each client pushes, in order.</summary>
    private static List<IReadOnlyList<WritePathManifest>> Clients(WritePathWorkload workload, string mode)
        => mode == Sequential ? [workload.Manifests] : [.. workload.Repositories.Select(r => (IReadOnlyList<WritePathManifest>)workload.ManifestsOf(r).ToList())];

    private async Task DropAsync(string database, WritePathContender contender)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        foreach (var addition in contender.Dropped)
        {
            await BenchServer.ExecuteAsync(connection, addition.DropSql);
        }
    }

    private async Task AddAccountAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString(Template));
        var store = new AccountStore(dataSource, TimeProvider.System);
        _ = await store.AddAsync(Account.Name, PasswordHash.Create(Account.Password), CancellationToken.None)
            ?? throw new BenchException($"the account {Account.Name} exists already");
    }

    /// <summary>The cluster's WAL insert position, in bytes from the start.</summary>
    private async Task<long> WalPositionAsync()
        => await ScalarAsync<long>(server.AdminConnectionString, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint");

    private async Task<(long Versions, long Files, long Properties, long Bytes)> RowsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM package_version WHERE NOT is_internal), (SELECT count(*) FROM package_file),
                   (SELECT count(*) FROM package_property), pg_database_size(current_database())
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    private async Task<List<WritePathIndexSize>> IndexSizesAsync(string database)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY($1) ORDER BY relname", connection);
        command.Parameters.AddWithValue(WritePathSchema.Indexes.Select(i => i.Name).ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var sizes = new List<WritePathIndexSize>();
        while (await reader.ReadAsync())
        {
            sizes.Add(new WritePathIndexSize(reader.GetString(0), reader.GetInt64(1)));
        }

        return sizes;
    }

    /// <summary>Which of the additions the database has: the column in the catalog's columns, the indexes in pg_class.</summary>
    private async Task<List<string>> AdditionsPresentAsync(string database)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name || '.' || column_name = ANY($1)
            UNION ALL
            SELECT relname FROM pg_class WHERE relname = ANY($1)
            """, connection);
        command.Parameters.AddWithValue(WritePathSchema.All.Select(a => a.Name).ToArray());
        var present = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            present.Add(reader.GetString(0));
        }

        return [.. WritePathSchema.All.Select(a => a.Name).Where(present.Contains)];
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>In each mode every push must have landed whole, the same rows in every database.</summary>
    private void CheckSameRows(List<WritePathPhase> phases)
    {
        var expected = options.Manifests + options.WarmupManifests;
        foreach (var phase in phases.Where(p => p.Versions != expected))
        {
            throw new BenchException($"run {phase.Run}, {phase.Mode}, {phase.Contender}: {phase.Versions:N0} versions, not the {expected:N0} pushed");
        }

        foreach (var mode in phases.GroupBy(p => p.Mode))
        {
            if (mode.Select(p => (p.Versions, p.Files, p.Properties)).Distinct().Count() != 1)
            {
                throw new BenchException($"the {mode.Key} pushes left different rows: " +
                                         string.Join("; ", mode.Select(p => $"run {p.Run} {p.Contender}: {p.Versions} versions, {p.Files} files, {p.Properties} properties")));
            }
        }
    }

    private static List<WritePathPhase> MedianPhases(List<WritePathPhase> phases)
        => [.. phases.GroupBy(p => (p.Mode, p.Contender)).Select(g =>
        {
            var first = g.First();
            return first with
            {
                Run = 0,
                Seconds = Median.Of(g.Select(p => p.Seconds)),
                ServerCpuSeconds = Median.Of(g.Select(p => p.ServerCpuSeconds)),
                DatabaseCpuSeconds = g.All(p => p.DatabaseCpuSeconds is not null) ? Median.Of(g.Select(p => p.DatabaseCpuSeconds!.Value)) : null,
                WalBytes = (long)Median.Of(g.Select(p => (double)p.WalBytes)),
                DatabaseBytes = (long)Median.Of(g.Select(p => (double)p.DatabaseBytes)),
            };
        })];

    private static List<WritePathRatio> Ratios(List<WritePathPhase> medians)
        => [.. medians.Where(m => m.Contender != WritePathSchema.AsMigrated).Select(without =>
        {
            var with = medians.Single(m => m.Mode == without.Mode && m.Contender == WritePathSchema.AsMigrated);
            return new WritePathRatio(
                without.Mode,
                without.Contender,
                with.Seconds / without.Seconds,
                with.ServerCpuSeconds / without.ServerCpuSeconds,
                with.DatabaseCpuSeconds / without.DatabaseCpuSeconds,
                (double)with.WalBytes / without.WalBytes);
        })];
}
