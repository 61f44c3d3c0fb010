using System.Globalization;
using System.Text.Json;
using Forge.Host.Hosting;
using Forge.Tooling;

namespace Forge.Bench;

/// <summary>What one benchmark does: the scale, the runs, and the programs it starts.</summary>
public sealed record BenchOptions
{
    public int Versions { get; init; } = 100_000;
    public int Runs { get; init; } = 3;
    public int Seed { get; init; } = 1;
    public string OlderThan { get; init; } = "24h";

    /// <summary>Keep the databases of the last run and the template (and the cluster) for inspection.</summary>
    public bool Keep { get; init; }

    /// <summary>Forge's host, whose real commands migrate and clean; by default the one built next to the benchmark.</summary>
    public string ForgeDll { get; init; } = typeof(ForgeApp).Assembly.Location;

    /// <summary>The benchmark program itself, which runs the reference and the floor in their own processes.</summary>
    public string BenchDll { get; init; } = typeof(BenchPipeline).Assembly.Location;
}

/// <summary>One contender's figures from one run.</summary>
public sealed record ContenderRun(
    string Contender,
    double WallSeconds,
    double? PeakMegabytes,
    long DeletedVersions,
    long DeletedFiles,
    long DeletedProperties,
    double LongestLockingTransactionSeconds,
    double LongestTransactionSeconds);

public sealed record BenchResult
{
    public required int Versions { get; init; }
    public required int Runs { get; init; }
    public required int Seed { get; init; }
    public required string ServerVersion { get; init; }
    public required GenerationSummary Generation { get; init; }

    /// <summary>How many versions all three contenders agreed to delete in their dry runs.</summary>
    public required int AgreedVersions { get; init; }

    /// <summary>Every run of every contender.</summary>
    public required IReadOnlyList<ContenderRun> AllRuns { get; init; }

    /// <summary>Per contender, the median of each figure over the runs.</summary>
    public required IReadOnlyList<ContenderRun> Medians { get; init; }

    /// <summary>True when after every run the three databases held the same rows.</summary>
    public required bool DatabasesIdentical { get; init; }
}

/// <summary>
/// The benchmark: generate the registry into a template database, check on copies that the three
/// contenders would delete the same versions, then run each on its own fresh copy, in its own process,
/// timed and watched, and check that the three databases ended identical.
/// </summary>
public sealed class BenchPipeline(BenchServer server, BenchOptions options, TextWriter log)
{
    public const string Forge = "forge";
    public const string Reference = "reference";
    public const string Floor = "floor";

    private static readonly string[] Contenders = [Forge, Reference, Floor];
    private readonly string prefix = $"bench_{Environment.ProcessId}_";

    private string Template => prefix + "template";

    public async Task<BenchResult> RunAsync()
    {
        log.WriteLine($"Generating {options.Versions:N0} versions (seed {options.Seed}) into {Template}");
        await server.CreateDatabaseAsync(Template);
        var generation = await RegistryGenerator.GenerateAsync(server.ConnectionString(Template), options.Versions, options.Seed, options.ForgeDll, log);
        log.WriteLine($"  generated in {generation.TotalSeconds:0.0} s (migrate {generation.MigrateSeconds:0.0}, COPY {generation.LoadSeconds:0.0}, indexes {generation.IndexSeconds:0.0}, VACUUM ANALYZE {generation.VacuumSeconds:0.0}); " +
                      $"{generation.DigestVersions:N0} digest versions, of which dangling {generation.DanglingOld:N0} older than the cutoff and {generation.DanglingYoung:N0} younger");
        var before = await server.StateAsync(Template);

        // --runs 0: the registry only (with --keep, to inspect it or to time the generator).
        var agreed = options.Runs > 0 ? await AgreeAsync() : [];
        var runs = new List<ContenderRun>();
        for (var run = 1; run <= options.Runs; run++)
        {
            log.WriteLine($"Run {run} of {options.Runs}");
            var databases = Contenders.ToDictionary(c => c, c => $"{prefix}{c}_{run}");
            foreach (var database in databases.Values)
            {
                await server.CreateDatabaseAsync(database, Template);
            }

            var states = new Dictionary<string, List<TableState>>();
            foreach (var contender in Contenders)
            {
                var (figures, after) = await TimedRunAsync(contender, databases[contender], before);
                runs.Add(figures);
                states[contender] = after;
                log.WriteLine($"  {contender}: {figures.WallSeconds:0.00} s, {figures.PeakMegabytes:0} MB, deleted {figures.DeletedVersions:N0} versions, longest locking transaction {figures.LongestLockingTransactionSeconds:0.00} s");
                if (figures.DeletedVersions != agreed.Count)
                {
                    throw new BenchException($"{contender} deleted {figures.DeletedVersions} versions in run {run}; the dry runs agreed on {agreed.Count}.");
                }
            }

            CompareStates(states, run);
            log.WriteLine("  the three databases hold the same rows");
            if (!options.Keep || run < options.Runs)
            {
                foreach (var database in databases.Values)
                {
                    await server.DropDatabaseAsync(database);
                }
            }
        }

        if (!options.Keep)
        {
            await server.DropDatabaseAsync(Template);
        }

        return new BenchResult
        {
            Versions = options.Versions,
            Runs = options.Runs,
            Seed = options.Seed,
            ServerVersion = await server.ServerVersionAsync(),
            Generation = generation,
            AgreedVersions = agreed.Count,
            AllRuns = runs,
            Medians = Contenders.Where(_ => runs.Count > 0).Select(c => MedianRun(runs.Where(r => r.Contender == c).ToList())).ToList(),
            DatabasesIdentical = true, // CompareStates threw otherwise
        };
    }

    /// <summary>Each contender's dry run on its own copy; throws when the sets of version ids differ.</summary>
    private async Task<SortedSet<long>> AgreeAsync()
    {
        log.WriteLine("Checking that the contenders would delete the same versions");
        var sets = new Dictionary<string, SortedSet<long>>();
        foreach (var contender in Contenders)
        {
            var database = $"{prefix}{contender}_dry";
            await server.CreateDatabaseAsync(database, Template);
            try
            {
                var result = (await RunContenderAsync(contender, database, dryRun: true)).Result;
                sets[contender] = contender == Forge ? ForgeDeletions(result.Output) : ListedIds(result.Output);
                log.WriteLine($"  {contender}: {sets[contender].Count:N0} versions");
            }
            finally
            {
                await server.DropDatabaseAsync(database);
            }
        }

        return CompareDeletions(sets);
    }

    /// <summary>The set all contenders agree on; throws, naming the contenders and sample ids, when two differ or when it is empty.</summary>
    public static SortedSet<long> CompareDeletions(IReadOnlyDictionary<string, SortedSet<long>> sets)
    {
        var (first, expected) = sets.First();
        foreach (var (other, ids) in sets.Skip(1))
        {
            if (!ids.SetEquals(expected))
            {
                var onlyFirst = expected.Except(ids).ToList();
                var onlyOther = ids.Except(expected).ToList();
                throw new BenchException(
                    $"The contenders disagree: {first} would delete {expected.Count} versions, {other} {ids.Count}; " +
                    $"only {first}: {onlyFirst.Count} (e.g. {string.Join(", ", onlyFirst.Take(10))}), " +
                    $"only {other}: {onlyOther.Count} (e.g. {string.Join(", ", onlyOther.Take(10))}).");
            }
        }

        if (expected.Count == 0)
        {
            throw new BenchException("No contender would delete anything: the generated registry has no dangling version older than the cutoff.");
        }

        return expected;
    }

    private async Task<(ContenderRun Figures, List<TableState> After)> TimedRunAsync(string contender, string database, List<TableState> before)
    {
        await server.CheckpointAsync();
        var sampler = TransactionSampler.Start(server.AdminConnectionString, database);
        MeasuredResult measured;
        try
        {
            measured = await RunContenderAsync(contender, database, dryRun: false);
        }
        finally
        {
            await sampler.StopAsync();
            await sampler.DisposeAsync();
        }

        var after = await server.StateAsync(database);
        long Deleted(string table) => before.Single(s => s.Table == table).Rows - after.Single(s => s.Table == table).Rows;
        var figures = new ContenderRun(
            contender,
            measured.Result.Elapsed.TotalSeconds,
            measured.PeakMegabytes,
            Deleted("package_version"),
            Deleted("package_file"),
            Deleted("package_property"),
            sampler.LongestLockingSeconds,
            sampler.LongestSeconds);
        return (figures, after);
    }

    /// <summary>The environment a Forge command needs: the database, quiet logs, and no embedded cluster or content store anywhere near.</summary>
    public static Dictionary<string, string> ForgeEnvironment(string connectionString) => new()
    {
        [ChildProcessCommand.ForgeConnectionString] = connectionString,
        ["Logging__LogLevel__Default"] = "Warning",
        ["Forge__DataPath"] = Path.Combine(Path.GetTempPath(), $"forge-bench-data-{Environment.ProcessId}"),
    };

    /// <summary>Runs a contender to its end in its own process; a timed run (not a dry run) with its peak memory.</summary>
    private async Task<MeasuredResult> RunContenderAsync(string contender, string database, bool dryRun)
    {
        var environment = ForgeEnvironment(server.ConnectionString(database));
        var (dll, arguments) = contender switch
        {
            Forge => (options.ForgeDll, new List<string> { "packages", "container", "cleanup-sha256", "--older-than", options.OlderThan }),
            _ => (options.BenchDll, new List<string> { contender, "--older-than", options.OlderThan }),
        };
        if (dryRun)
        {
            arguments.AddRange(contender == Forge ? ["--dry-run", "--json"] : ["--list"]);
        }

        // The reference and the floor read the database from the same variable as forge does.
        return await MeasuredCommand.RunAsync(
            ChildProcessCommand.Forge(dll, environment, arguments), $"{contender} ({string.Join(' ', arguments)})", measureMemory: !dryRun);
    }

    /// <summary>The version ids of the candidates whose decision is delete, from Forge's JSON report.</summary>
    private static SortedSet<long> ForgeDeletions(string json)
    {
        using var report = JsonDocument.Parse(json);
        var ids = new SortedSet<long>();
        foreach (var candidate in report.RootElement.GetProperty("candidates").EnumerateArray())
        {
            if (candidate.GetProperty("decision").GetString() == "delete")
            {
                ids.Add(candidate.GetProperty("versionId").GetInt64());
            }
        }

        return ids;
    }

    private static SortedSet<long> ListedIds(string output)
        => new(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => long.Parse(line, CultureInfo.InvariantCulture)));

    /// <summary>Throws, naming the tables, unless every contender's database holds the same rows as the first one's.</summary>
    public static void CompareStates(IReadOnlyDictionary<string, List<TableState>> states, int run)
    {
        var (first, expected) = states.First();
        foreach (var (other, state) in states.Skip(1))
        {
            var differences = expected.Zip(state).Where(pair => pair.First != pair.Second).ToList();
            if (differences.Count > 0 || state.Count != expected.Count)
            {
                throw new BenchException(
                    $"After run {run}, the databases of {first} and {other} differ: " +
                    string.Join("; ", differences.Select(d => $"{d.First.Table}: {d.First.Rows} rows ({d.First.IdChecksum}) against {d.Second.Rows} ({d.Second.IdChecksum})")));
            }
        }
    }

    private static ContenderRun MedianRun(List<ContenderRun> runs)
    {
        static double M(IEnumerable<double> values) => Median.Of(values);

        return new ContenderRun(
            runs[0].Contender,
            M(runs.Select(r => r.WallSeconds)),
            runs.All(r => r.PeakMegabytes is not null) ? M(runs.Select(r => r.PeakMegabytes!.Value)) : null,
            (long)M(runs.Select(r => (double)r.DeletedVersions)),
            (long)M(runs.Select(r => (double)r.DeletedFiles)),
            (long)M(runs.Select(r => (double)r.DeletedProperties)),
            M(runs.Select(r => r.LongestLockingTransactionSeconds)),
            M(runs.Select(r => r.LongestTransactionSeconds)));
    }
}
