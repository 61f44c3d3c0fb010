using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Forge.Tooling;

namespace Forge.Bench.Registry;

/// <summary>An account the benchmark pushes and pulls as; null for a registry without authentication.</summary>
public sealed record RegistryAccount(string Name, string Password)
{
    public override string ToString() => $"{Name}:***";
}

/// <summary>
/// One contender's registry server process, started by the benchmark on a free loopback port over storage in a
/// folder of its own, and stopped with SIGTERM. Its resident memory is read from <c>/proc/&lt;pid&gt;/status</c>.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private readonly ChildProcess process;

    private RegistryServer(string contender, ChildProcess process, int port, RegistryAccount? account, string storage)
    {
        Contender = contender;
        this.process = process;
        Port = port;
        Account = account;
        Storage = storage;
    }

    public string Contender { get; }

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, as image references name the registry.</summary>
    public string Host => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public RegistryAccount? Account { get; }

    /// <summary>The folder that holds what was pushed: Forge's content store, the reference's storage root.</summary>
    public string Storage { get; }

    /// <summary>
    /// <c>forge users add</c> (the password on standard input), then <c>forge run</c> on the embedded PostgreSQL
    /// under <paramref name="directory"/>, quiet logs, serving on a free loopback port.
    /// </summary>
    public static async Task<RegistryServer> StartForgeAsync(string forgeDll, string directory, RegistryAccount account)
    {
        var (port, environment) = ForgeEnvironment(directory, new Dictionary<string, string>());
        var add = await ChildProcess.RunAsync(ChildProcessCommand.Forge(forgeDll, environment, ["users", "add", account.Name]) with { StandardInput = account.Password + "\n" });
        if (add.ExitCode != 0)
        {
            throw new BenchException($"forge users add {account.Name} failed with exit code {add.ExitCode}: {add.Errors.Trim()}");
        }

        return await StartAsync("forge", ChildProcessCommand.Forge(forgeDll, environment, ["run"]), port, account, Path.Combine(directory, "data", "packages"));
    }

    /// <summary>
    /// <c>forge run</c> with <paramref name="settings"/> as environment variables (e.g. <c>ConnectionStrings__Forge</c>
    /// and the sign-in limiter's), data under <paramref name="directory"/>, quiet logs, serving on a free loopback
    /// port; <paramref name="account"/> must exist already (the wait for <c>/v2/</c> signs in with it).
    /// </summary>
    public static Task<RegistryServer> StartForgeRunAsync(string forgeDll, string directory, RegistryAccount account, IReadOnlyDictionary<string, string> settings)
    {
        var (port, environment) = ForgeEnvironment(directory, settings);
        return StartAsync("forge", ChildProcessCommand.Forge(forgeDll, environment, ["run"]), port, account, Path.Combine(directory, "data", "packages"));
    }

    private static (int Port, Dictionary<string, string> Environment) ForgeEnvironment(string directory, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var environment = new Dictionary<string, string>(settings)
        {
            ["Forge__DataPath"] = Path.Combine(directory, "data"),
            ["Forge__Http__Urls"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        return (port, environment);
    }

    /// <summary>
    /// <c>docker-registry serve</c> with filesystem storage under <paramref name="directory"/>, no authentication, no
    /// access log, serving on a free loopback port.
    /// </summary>
    public static async Task<RegistryServer> StartReferenceAsync(string directory)
    {
        var port = FreePort();
        var storage = Path.Combine(directory, "storage");
        Directory.CreateDirectory(storage);
        var config = Path.Combine(directory, "config.yml");
        await File.WriteAllTextAsync(config, ReferenceConfig(storage, port));
        return await StartAsync("reference", new ChildProcessCommand(ReferenceProgram, ["serve", config]) { WorkingDirectory = directory }, port, null, storage);
    }

    public const string ReferenceProgram = "/usr/bin/docker-registry";

    /// <summary>Debian's shipped configuration without its htpasswd section, with quiet logs and our storage and address.</summary>
    public static string ReferenceConfig(string storage, int port) => $"""
        version: 0.1
        log:
          level: warn
          accesslog:
            disabled: true
        storage:
          cache:
            blobdescriptor: inmemory
          filesystem:
            rootdirectory: {storage}
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
          headers:
            X-Content-Type-Options: [nosniff]
        health:
          storagedriver:
            enabled: true
            interval: 10s
            threshold: 3
        """;

    private static async Task<RegistryServer> StartAsync(string contender, ChildProcessCommand command, int port, RegistryAccount? account, string storage)
    {
        var server = new RegistryServer(contender, ChildProcess.Start(command), port, account, storage);
        try
        {
            await server.WaitUntilServingAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls <c>GET /v2/</c> (with the account's credentials) until it answers 200.</summary>
    private async Task WaitUntilServingAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        if (Account is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Account.Name}:{Account.Password}")));
        }

        var clock = Stopwatch.StartNew();
        HttpStatusCode? last = null;
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                throw new BenchException($"{Contender} exited with code {process.ExitCode} before serving /v2/: {RecentOutput()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri($"http://{Host}/v2/"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening, not answering yet.
            }

            await Task.Delay(100);
        }

        throw new BenchException($"{Contender} did not answer GET /v2/ with 200 within {StartTimeout.TotalSeconds:0} s (last status {last?.ToString() ?? "none"}): {RecentOutput()}");
    }

    /// <summary>The process's resident memory now (<c>VmRSS</c>), in bytes.</summary>
    public long ResidentBytes() => ProcStatus("VmRSS");

    /// <summary>The process's peak resident memory since it started (<c>VmHWM</c>), in bytes.</summary>
    public long PeakResidentBytes() => ProcStatus("VmHWM");

    /// <summary>The CPU time the process has used so far, user and system (<c>/proc/&lt;pid&gt;/stat</c>), in seconds.</summary>
    public double CpuSeconds()
    {
        // The fields after the command's closing parenthesis, from the state (field 3) on: utime and stime are fields 14 and 15.
        var stat = File.ReadAllText($"/proc/{process.Id.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / ClockTicksPerSecond;
    }

    // USER_HZ, which /proc reports in, is 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100.0;

    private long ProcStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kilobytes = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new BenchException($"/proc/{process.Id}/status of {Contender} has no {field}.");
    }

    /// <summary>The bytes of every file under <see cref="Storage"/> (what <c>du -sb</c> counts, folders aside).</summary>
    public long StorageBytes()
        => Directory.Exists(Storage)
            ? new DirectoryInfo(Storage).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;

    /// <summary>SIGTERM, then up to a minute for a clean stop (Forge stops its embedded PostgreSQL on the way); SIGKILL after that.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await ChildProcess.RunAsync(new ChildProcessCommand("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]));
            if (!await process.WaitForExitAsync(TimeSpan.FromMinutes(1)))
            {
                process.Kill(entireProcessTree: true);
            }
        }

        process.Dispose();
    }

    /// <summary>The last lines the server printed (its logs, then its standard output), for an error message.</summary>
    public string RecentOutput()
    {
        var text = (process.Errors + process.Output).Trim();
        return text.Length > 2000 ? "..." + text[^2000..] : text;
    }

    /// <summary>A port nobody listens on now; the server binds it a moment later.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
