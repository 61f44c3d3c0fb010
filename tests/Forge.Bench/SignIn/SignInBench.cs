using System.Net;
using Forge.Accounts;
using Forge.Bench.Registry;
using Forge.Host.Hosting;
using Forge.Tooling;
using Npgsql;

namespace Forge.Bench.SignIn;

/// <summary>What one sign-in benchmark does: how many first logins and remembered sign-ins it times, and the flood.</summary>
public sealed record SignInBenchOptions
{
    /// <summary>First logins timed per phase, each of an account of its own that the server has not verified yet.</summary>
    public int Users { get; init; } = 12;

    /// <summary>Sign-ins with the remembered password timed per phase, at the least (more while the first logins last).</summary>
    public int Remembered { get; init; } = 40;

    /// <summary>Clients sending wrong passwords as fast as they are answered, each from a loopback address of its own.</summary>
    public int Attackers { get; init; } = 8;

    /// <summary>How long the attackers run alone before the timing starts (the limits reach their steady state).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The attacked phase lasts at least this long, the remembered client signing in meanwhile: a throttled answer comes
    /// after a pause of a second, so a phase shorter than that may see none however many the attackers get.
    /// </summary>
    public TimeSpan AttackPhaseAtLeast { get; init; } = TimeSpan.Zero;

    /// <summary>More settings of the server with the limiter on, as environment variables (the defaults without).</summary>
    public IReadOnlyDictionary<string, string> LimiterSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Keep the database and the servers' folders.</summary>
    public bool Keep { get; init; }

    public string ForgeDll { get; init; } = typeof(ForgeApp).Assembly.Location;
}

/// <summary>One phase's figures: medians in milliseconds, and what the attackers got meanwhile (none while idle).</summary>
public sealed record SignInPhase(
    string Phase,
    double FreshMedianMilliseconds,
    double RememberedMedianMilliseconds,
    int FreshLogins,
    int RememberedSignIns,
    double Seconds,
    long AttackAnswers,
    long AttackRefused,
    long AttackThrottled,
    double ServerCpuSeconds);

/// <summary>One server: the limiter on or off, idle and under the flood; the ratios are attack over idle.</summary>
public sealed record SignInContender(string Contender, SignInPhase Idle, SignInPhase Attack)
{
    public double FreshRatio => Attack.FreshMedianMilliseconds / Idle.FreshMedianMilliseconds;

    public double RememberedRatio => Attack.RememberedMedianMilliseconds / Idle.RememberedMedianMilliseconds;
}

public sealed record SignInBenchResult
{
    public const double FreshTarget = 2.0;
    public const double RememberedTarget = 1.5;

    public required SignInBenchOptions Options { get; init; }
    public required int Processors { get; init; }
    public required string LoadBefore { get; init; }
    public required string LoadAfter { get; init; }
    public required IReadOnlyList<SignInContender> Contenders { get; init; }

    public SignInContender LimiterOn => Contenders.Single(c => c.Contender == SignInBench.LimiterOn);

    public bool FreshTargetMet => LimiterOn.FreshRatio <= FreshTarget;

    public bool RememberedTargetMet => LimiterOn.RememberedRatio <= RememberedTarget;
}

/// <summary>
/// Sign-ins under a flood of wrong passwords, over HTTP against a real <c>forge run</c>: the registry's <c>GET /v2/</c>
/// with Basic credentials. Two servers one after the other on one database, the sign-in limiter on and off; on each,
/// first logins of accounts the server has not verified (a PBKDF2 each) and sign-ins with a password it remembers, timed
/// idle and then while <see cref="SignInBenchOptions.Attackers"/> clients send wrong passwords as fast as they are
/// answered (half guess the remembered account's password, half spray unknown names), each client from a loopback
/// address of its own, the attackers from other addresses than the legitimate clients.
/// </summary>
public sealed class SignInBench(BenchServer server, SignInBenchOptions options, TextWriter log)
{
    public const string LimiterOn = "limiter on";
    public const string LimiterOff = "limiter off";
    private const string Password = "the bench's right password";
    private static readonly RegistryAccount Remembered = new("remembered", Password);

    private readonly string database = $"bench_signin_{Environment.ProcessId}";

    public async Task<SignInBenchResult> RunAsync()
    {
        var loadBefore = LoadAverage.Now();
        var directory = Directory.CreateTempSubdirectory("forge-bench-signin-").FullName;
        await server.CreateDatabaseAsync(database);
        try
        {
            await ForgeMigrate.RunAsync(options.ForgeDll, server.ConnectionString(database));
            await AddAccountsAsync();
            var contenders = new List<SignInContender>();
            foreach (var contender in new[] { LimiterOn, LimiterOff })
            {
                contenders.Add(await RunContenderAsync(contender, Path.Combine(directory, Prefix(contender))));
            }

            return new SignInBenchResult
            {
                Options = options,
                Processors = Environment.ProcessorCount,
                LoadBefore = loadBefore,
                LoadAfter = LoadAverage.Now(),
                Contenders = contenders,
            };
        }
        finally
        {
            if (!options.Keep)
            {
                await server.DropDatabaseAsync(database);
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private async Task<SignInContender> RunContenderAsync(string contender, string directory)
    {
        log.WriteLine($"Starting forge run with the sign-in limiter {(contender == LimiterOn ? "on" : "off")}");
        var settings = new Dictionary<string, string>(contender == LimiterOn ? options.LimiterSettings : new Dictionary<string, string>())
        {
            // Pooled, as a server is configured (the bench's own connections are not): a connection per sign-in would be the figure.
            [ChildProcessCommand.ForgeConnectionString] = new NpgsqlConnectionStringBuilder(server.ConnectionString(database)) { Pooling = true }.ConnectionString,
            ["Forge__Accounts__SignInLimit__Enabled"] = contender == LimiterOn ? "true" : "false",
        };
        // The wait for /v2/ signs in as the remembered account: from then on this server remembers its password.
        await using var forge = await RegistryServer.StartForgeRunAsync(options.ForgeDll, directory, Remembered, settings);
        await WarmUpAsync(forge.Host, $"{Prefix(contender)}-warmup");
        var idle = await MeasureAsync(forge, $"{Prefix(contender)}-idle", attackers: null);
        log.WriteLine($"  idle: first login {idle.FreshMedianMilliseconds:0} ms, remembered {idle.RememberedMedianMilliseconds:0.0} ms (medians)");

        using var flood = new SignInFlood(forge.Host, options.Attackers, Remembered.Name);
        await Task.Delay(options.Warmup);
        var attack = await MeasureAsync(forge, $"{Prefix(contender)}-attack", flood);
        await flood.StopAsync();
        log.WriteLine($"  under attack: first login {attack.FreshMedianMilliseconds:0} ms, remembered {attack.RememberedMedianMilliseconds:0.0} ms; " +
                      $"the attackers got {attack.AttackAnswers:N0} answers ({attack.AttackRefused:N0} refused, {attack.AttackThrottled:N0} throttled)");
        return new SignInContender(contender, idle, attack);
    }

    /// <summary>Untimed: a first login and 200 remembered sign-ins, so that the idle figures are not the new process's JIT.</summary>
    private static async Task WarmUpAsync(string host, string account)
    {
        using var client = new SignInClient(host, SignInClient.Loopback(3));
        Expect200(await client.SignInAsync(account, Password), $"the first login of {account}");
        for (var i = 0; i < 200; i++)
        {
            Expect200(await client.SignInAsync(Remembered.Name, Remembered.Password), "a sign-in with the remembered password");
        }
    }

    /// <summary>The first logins one after the other, and meanwhile the remembered client signing in again and again.</summary>
    private async Task<SignInPhase> MeasureAsync(RegistryServer forge, string users, SignInFlood? attackers)
    {
        var cpu = forge.CpuSeconds();
        var before = attackers?.Counts ?? default;
        var started = DateTime.UtcNow;
        using var done = new CancellationTokenSource();
        var remembered = RememberedAsync(forge.Host, done.Token);
        var fresh = new List<double>();
        for (var i = 1; i <= options.Users; i++)
        {
            using var client = new SignInClient(forge.Host, SignInClient.Loopback(10 + (i % 80)));
            fresh.Add(Expect200(await client.SignInAsync($"{users}-{i}", Password), $"the first login of {users}-{i}"));
        }

        var left = options.AttackPhaseAtLeast - (DateTime.UtcNow - started);
        if (attackers is not null && left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        await done.CancelAsync();
        var rememberedTimes = await remembered;
        var after = attackers?.Counts ?? default;
        return new SignInPhase(
            users,
            Median.Of(fresh),
            Median.Of(rememberedTimes),
            fresh.Count,
            rememberedTimes.Count,
            (DateTime.UtcNow - started).TotalSeconds,
            after.Answers - before.Answers,
            after.Refused - before.Refused,
            after.Throttled - before.Throttled,
            forge.CpuSeconds() - cpu);
    }

    private async Task<List<double>> RememberedAsync(string host, CancellationToken firstLoginsDone)
    {
        using var client = new SignInClient(host, SignInClient.Loopback(2));
        var times = new List<double>();
        while (times.Count < options.Remembered || !firstLoginsDone.IsCancellationRequested)
        {
            times.Add(Expect200(await client.SignInAsync(Remembered.Name, Remembered.Password, CancellationToken.None), "a sign-in with the remembered password"));
        }

        return times;
    }

    private static double Expect200(SignInAnswer answer, string what)
        => answer.Status == HttpStatusCode.OK
            ? answer.Milliseconds
            : throw new BenchException($"{what} was answered {(int)answer.Status} {answer.Status}, not 200");

    /// <summary>The remembered account, a warm-up account per server and one account per first login of each phase, all with one stored hash (one PBKDF2 to make).</summary>
    private async Task AddAccountsAsync()
    {
        var hash = PasswordHash.Create(Password);
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString(database));
        var store = new AccountStore(dataSource, TimeProvider.System);
        var names = new List<string> { Remembered.Name };
        foreach (var contender in new[] { LimiterOn, LimiterOff })
        {
            names.Add($"{Prefix(contender)}-warmup");
            foreach (var phase in new[] { "idle", "attack" })
            {
                names.AddRange(Enumerable.Range(1, options.Users).Select(i => $"{Prefix(contender)}-{phase}-{i}"));
            }
        }

        foreach (var name in names)
        {
            _ = await store.AddAsync(name, hash, CancellationToken.None) ?? throw new BenchException($"the account {name} exists already");
        }

        log.WriteLine($"Added {names.Count} accounts");
    }

    private static string Prefix(string contender) => contender == LimiterOn ? "on" : "off";
}
