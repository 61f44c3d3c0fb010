using System.Globalization;
using Forge.Bench;
using Forge.Bench.Registry;
using Forge.Bench.Rules;
using Forge.Bench.SignIn;
using Forge.Bench.WritePath;
using Forge.Modularity;
using Forge.Tooling.Oci;

// forge-bench [run] [--versions N] [--runs R] [--seed S] [--keep] [--json] [--forge PATH] [--server CONNSTR]
// forge-bench [run] --scenario rules [--tags N] [--keep-count K] [--runs R] [--seed S] [--keep] [--json] [--forge PATH] [--server CONNSTR]
// forge-bench [run] --scenario signin [--users N] [--remembered N] [--attackers N] [--warmup-seconds S] [--keep] [--json] [--forge PATH] [--server CONNSTR]
// forge-bench [run] --scenario write-path [--manifests N] [--runs R] [--seed S] [--pushers P] [--keep] [--json] [--forge PATH] [--server CONNSTR]
// forge-bench reference|floor [--older-than 24h] [--list]   (the database: ConnectionStrings__Forge)
// forge-bench registry [--size-mb 256] [--platforms 3] [--runs R] [--seed S] [--contenders forge,reference] [--keep] [--json] [--forge PATH]
// forge-bench image --out DIR [--size-mb 256] [--platforms 3] [--seed S]
try
{
    if (args.Contains("--help") || args.Contains("-h"))
    {
        Usage(null);
        return 0;
    }

    var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "run";
    var options = Options.Parse(args.SkipWhile(a => a == mode).ToArray());
    return mode switch
    {
        "run" => await RunAsync(options),
        BenchPipeline.Reference or BenchPipeline.Floor => await CleanAsync(mode, options),
        "registry" => await RegistryAsync(options),
        "image" => WriteImage(options),
        _ => Usage($"unknown command '{mode}'"),
    };
}
catch (Exception e) when (e is BenchException or FileNotFoundException)
{
    // FileNotFoundException: a program it starts (skopeo) is not installed, and the message says how to install it.
    Console.Error.WriteLine($"forge-bench: {e.Message}");
    return 1;
}
catch (ArgumentException e)
{
    return Usage(e.Message);
}

static int Usage(string? error)
{
    if (error is not null)
    {
        Console.Error.WriteLine($"forge-bench: {error}");
    }

    Console.Error.WriteLine("usage: forge-bench [run] [--versions N] [--runs R] [--seed S] [--keep] [--json] [--forge PATH] [--server CONNSTR]");
    Console.Error.WriteLine("       forge-bench [run] --scenario rules [--tags 100000] [--keep-count 10] [--runs 3] [--seed 1] [--keep] [--json] [--forge PATH] [--server CONNSTR]");
    Console.Error.WriteLine("       forge-bench [run] --scenario signin [--users 12] [--remembered 40] [--attackers 8] [--warmup-seconds 3] [--keep] [--json] [--forge PATH] [--server CONNSTR]");
    Console.Error.WriteLine("       forge-bench [run] --scenario write-path [--manifests 10000] [--runs 3] [--seed 1] [--pushers 4] [--keep] [--json] [--forge PATH] [--server CONNSTR]");
    Console.Error.WriteLine("       forge-bench reference|floor [--older-than 24h] [--list]   (database: ConnectionStrings__Forge)");
    Console.Error.WriteLine("       forge-bench registry [--size-mb 256] [--platforms 3] [--runs 3] [--seed 1] [--contenders forge,reference] [--keep] [--json] [--forge PATH]");
    Console.Error.WriteLine("       forge-bench image --out DIR [--size-mb 256] [--platforms 3] [--seed 1]");
    return 2;
}

static async Task<int> RunAsync(Options options)
{
    var keep = options.Flag("--keep");
    var forge = options.Text("--forge") is { } path ? Path.GetFullPath(path) : new BenchOptions().ForgeDll;
    var json = options.Flag("--json");
    var scenario = options.Text("--scenario") ?? "cleanup";
    if (scenario is not ("cleanup" or "rules" or "signin" or "write-path"))
    {
        throw new ArgumentException($"--scenario takes cleanup (the container cleanup, the default), rules, signin or write-path, not '{scenario}'");
    }

    var given = options.Text("--server");
    var root = Path.Combine(Path.GetTempPath(), $"forge-bench-pg-{Guid.NewGuid():N}");
    if (given is null)
    {
        Console.Error.WriteLine($"Starting a throwaway PostgreSQL cluster in {root} ({string.Join(", ", BenchServer.ClusterSettings.Select(s => $"{s.Name}={s.Value}"))})");
    }

    await using var server = given is null ? await BenchServer.StartClusterAsync(root, keep) : BenchServer.Existing(given);
    if (scenario == "rules")
    {
        var rules = new RulesBenchOptions
        {
            Tags = Positive(options, "--tags", 100_000),
            KeepCount = options.Int("--keep-count", 10),
            Runs = options.Int("--runs", 3),
            Seed = options.Int("--seed", 1),
            Keep = keep,
            ForgeDll = forge,
        };
        var result = await new RulesBench(server, rules, Console.Error).RunAsync();
        Console.Out.Write(json ? RulesBenchReport.ToJson(result) + "\n" : RulesBenchReport.ToTable(result));
    }
    else if (scenario == "signin")
    {
        var signIn = new SignInBenchOptions
        {
            Users = Positive(options, "--users", 12),
            Remembered = Positive(options, "--remembered", 40),
            Attackers = Positive(options, "--attackers", 8),
            Warmup = TimeSpan.FromSeconds(options.Int("--warmup-seconds", 3)),
            Keep = keep,
            ForgeDll = forge,
        };
        var result = await new SignInBench(server, signIn, Console.Error).RunAsync();
        Console.Out.Write(json ? SignInBenchReport.ToJson(result) + "\n" : SignInBenchReport.ToTable(result));
    }
    else if (scenario == "write-path")
    {
        var writePath = new WritePathBenchOptions
        {
            Manifests = Positive(options, "--manifests", 10_000),
            Runs = Positive(options, "--runs", 3),
            Seed = options.Int("--seed", 1),
            Pushers = Positive(options, "--pushers", 4),
            Keep = keep,
            ForgeDll = forge,
        };
        var result = await new WritePathBench(server, writePath, Console.Error).RunAsync();
        Console.Out.Write(json ? WritePathBenchReport.ToJson(result) + "\n" : WritePathBenchReport.ToTable(result));
    }
    else
    {
        var bench = new BenchOptions
        {
            Versions = options.Int("--versions", 100_000),
            Runs = options.Int("--runs", 3),
            Seed = options.Int("--seed", 1),
            Keep = keep,
            ForgeDll = forge,
        };
        var result = await new BenchPipeline(server, bench, Console.Error).RunAsync();
        Console.Out.Write(json ? BenchReport.ToJson(result) + "\n" : BenchReport.ToTable(result));
    }

    if (keep && server.ClusterRoot is { } kept)
    {
        Console.Error.WriteLine($"Kept the cluster in {kept}: port in {kept}/port, user forge, password in {kept}/password; " +
                                $"stop it with pg_ctl stop -D {kept}/cluster/data (as the postgres user when run as root).");
    }

    return 0;
}

static async Task<int> CleanAsync(string mode, Options options)
{
    var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Forge") is { Length: > 0 } c
        ? c
        : throw new ArgumentException("set ConnectionStrings__Forge to the database to clean");
    var olderThan = GoDuration.Parse(options.Text("--older-than") ?? "24h");
    var list = options.Flag("--list");
    var ids = mode == BenchPipeline.Reference
        ? await ReferenceCleanup.RunAsync(connectionString, olderThan, list)
        : await FloorCleanup.RunAsync(connectionString, olderThan, list);
    if (list)
    {
        await using var output = new StreamWriter(Console.OpenStandardOutput());
        foreach (var id in ids)
        {
            await output.WriteLineAsync(id.ToString(CultureInfo.InvariantCulture));
        }
    }

    return 0;
}

static async Task<int> RegistryAsync(Options options)
{
    var contenders = (options.Text("--contenders") ?? string.Join(',', RegistryBenchOptions.AllContenders))
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
    if (contenders.Count == 0 || contenders.Except(RegistryBenchOptions.AllContenders).FirstOrDefault() is { } unknown)
    {
        throw new ArgumentException($"--contenders takes a comma-separated list of {string.Join(", ", RegistryBenchOptions.AllContenders)}");
    }

    var bench = new RegistryBenchOptions
    {
        SizeMegabytes = Positive(options, "--size-mb", 256),
        Platforms = Platforms(options),
        Runs = Positive(options, "--runs", 3),
        Seed = options.Int("--seed", 1),
        Contenders = contenders,
        Keep = options.Flag("--keep"),
        ForgeDll = options.Text("--forge") is { } forge ? Path.GetFullPath(forge) : new RegistryBenchOptions().ForgeDll,
    };
    var result = await new RegistryBench(bench, Console.Error).RunAsync();
    Console.Out.Write(options.Flag("--json") ? RegistryBenchReport.ToJson(result) + "\n" : RegistryBenchReport.ToTable(result));
    return 0;
}

static int WriteImage(Options options)
{
    var directory = options.Text("--out") ?? throw new ArgumentException("image needs --out DIR, a folder that does not exist yet");
    if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
    {
        throw new ArgumentException($"--out {directory} is not empty");
    }

    var summary = RegistryBench.WriteImage(directory, Platforms(options), Positive(options, "--size-mb", 256), options.Int("--seed", 1));
    Console.Out.WriteLine($"oci:{Path.GetFullPath(directory)}:{summary.Tag} {summary.IndexDigest}: {summary.Platforms} platforms, {summary.Layers} layers, {summary.LayerBytes} bytes of layers, {summary.Blobs} blobs");
    return 0;
}

static int Positive(Options options, string name, int fallback)
    => options.Int(name, fallback) is > 0 and var value ? value : throw new ArgumentException($"{name} takes a whole number above 0");

static int Platforms(Options options)
    => options.Int("--platforms", 3) is var platforms && platforms >= 1 && platforms <= OciPlatform.All.Count
        ? platforms
        : throw new ArgumentException($"--platforms takes 1 to {OciPlatform.All.Count}");

/// <summary>--name value and --flag options.</summary>
internal sealed class Options(Dictionary<string, string?> values)
{
    private static readonly HashSet<string> Flags = ["--keep", "--json", "--list"];

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string?>();
        for (var i = 0; i < args.Length; i++)
        {
            if (Flags.Contains(args[i]))
            {
                values[args[i]] = null;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }
        }

        return new Options(values);
    }

    public bool Flag(string name) => values.ContainsKey(name);

    public string? Text(string name) => values.GetValueOrDefault(name);

    public int Int(string name, int fallback)
        => Text(name) is not { } text ? fallback
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value
            : throw new ArgumentException($"{name} takes a whole number, not '{text}'");
}
