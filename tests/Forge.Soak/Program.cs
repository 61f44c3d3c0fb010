using System.CommandLine;
using Forge.Host.Database;
using Forge.Modularity;
using Forge.Soak;
using Npgsql;

// forge-soak [--scenario race|crash|all] [--duration 2m] [--writers 4] [--window 2s] [--seed 1] [--json] [--forge PATH]
var scenario = new Option<string>("--scenario") { Description = "race, crash or all", DefaultValueFactory = _ => "all" };
scenario.AcceptOnlyFromAmong("race", "crash", "all");
var duration = CommandOptions.Duration("--duration", "How long each scenario runs before it stops by itself (default 2m).");
var writers = new Option<int>("--writers") { Description = "Writer tasks pushing images (default 4).", DefaultValueFactory = _ => 4 };
var window = CommandOptions.Duration("--window", "The cleanups' OlderThan; writers pause shorter and longer than it (default 2s).");
var seed = new Option<int>("--seed") { Description = "Seed of every random choice (default 1).", DefaultValueFactory = _ => 1 };
var json = CommandOptions.Json();
var forge = new Option<string?>("--forge") { Description = "forge.dll to start and kill (default: the one next to forge-soak.dll)." };
writers.Validators.Add(r =>
{
    if (r.GetValueOrDefault<int>() is < 1 or > 32)
    {
        r.AddError("--writers takes 1 to 32");
    }
});

var root = new RootCommand("Races, crashes and faults against Forge's cleanups, with docs/cleanup.md's invariants checked after each scenario.")
{
    scenario, duration, writers, window, seed, json, forge,
};
root.SetAction(async (parsed, cancellationToken) =>
{
    var options = new SoakOptions
    {
        Duration = GoDuration.Parse(parsed.GetValue(duration) ?? "2m"),
        Writers = parsed.GetValue(writers),
        Window = GoDuration.Parse(parsed.GetValue(window) ?? "2s"),
        Seed = parsed.GetValue(seed),
    };
    if (options.Window < TimeSpan.FromSeconds(1) || options.Window.Ticks % TimeSpan.TicksPerSecond != 0)
    {
        Console.Error.WriteLine("forge-soak: --window must be whole seconds, at least 1s (created_unix has whole seconds)");
        return ExitCodes.UsageError;
    }

    var forgeDll = Path.GetFullPath(parsed.GetValue(forge) ?? Path.Combine(AppContext.BaseDirectory, "forge.dll"));
    var scenarios = parsed.GetValue(scenario) is "all" or null ? ["race", "crash"] : new[] { parsed.GetValue(scenario)! };

    var clusterRoot = Path.Combine(Path.GetTempPath(), $"forge-soak-pg-{Guid.NewGuid():N}");
    Console.Error.WriteLine($"Starting a throwaway PostgreSQL cluster in {clusterRoot}");
    var reports = new List<SoakReport>();
    await using (var cluster = await EmbeddedPostgres.StartAsync(clusterRoot, cancellationToken: cancellationToken))
    {
        foreach (var name in scenarios)
        {
            var database = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = $"soak_{name}" }.ConnectionString;
            await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
            {
                await admin.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand($"CREATE DATABASE soak_{name}", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var store = Path.Combine(clusterRoot, $"store-{name}");
            await using var world = await SoakWorld.CreateAsync(database, store, cancellationToken);
            Console.Error.WriteLine($"{name}: {options.Duration.TotalSeconds:0}s, {options.Writers} writers, window {options.Window.TotalSeconds:0}s, seed {options.Seed}");
            var report = name == "race"
                ? await RaceScenario.RunAsync(world, options, Console.Error)
                : await new CrashScenario(world, options, forgeDll, Console.Error).RunAsync();
            reports.Add(report);
            if (!parsed.GetValue(json))
            {
                Console.Out.Write(report.ToText());
            }
        }
    }

    NpgsqlConnection.ClearAllPools();
    Directory.Delete(clusterRoot, recursive: true);
    if (parsed.GetValue(json))
    {
        Console.Out.WriteLine(SoakReport.ToJson(reports));
    }

    return reports.All(r => r.Held && r.Errors.Count == 0) ? ExitCodes.Success : ExitCodes.Failure;
});
return await root.Parse(args).InvokeAsync();
