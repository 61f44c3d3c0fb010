using System.Globalization;
using System.Text.Json;
using Forge.Tooling;

namespace Forge.Host.Tests.Support;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>, which <c>.ci/run</c> installs) on a free loopback
/// port, with a throwaway configuration and storage that scrape one target every second and load the
/// given rule files. Stopped and removed when disposed.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const string InstalledBy = "build/ensure-prometheus installs Debian's prometheus package.";
    private readonly ChildProcess process;
    private readonly string directory;
    private readonly HttpClient http = new();

    private PrometheusServer(ChildProcess process, string directory, int port)
    {
        this.process = process;
        this.directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (host:port) every second, with <paramref name="ruleFiles"/> loaded.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, params string[] ruleFiles)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"forge-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
            {string.Concat(ruleFiles.Select(f => $"  - '{f}'\n"))}
            scrape_configs:
              - job_name: forge
                static_configs:
                  - targets: ['{target}']
            """);
        var port = Ports.Free();
        var process = ChildProcess.Start(new ChildProcessCommand(
            InstalledProgram.Path("prometheus", InstalledBy),
            [
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ]));
        var server = new PrometheusServer(process, directory, port);
        var ready = await Poll.UntilAsync(server.ReadyAsync, r => r);
        return ready ? server : throw new InvalidOperationException("Prometheus did not become ready.");
    }

    /// <summary>The series an instant query returns (empty when the query has no data).</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string query)
    {
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(query)}"));
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused '{query}': {body}");
        }

        return document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>The rules Prometheus loaded, by name, with their health ("ok", or "err" with the error).</summary>
    public async Task<Dictionary<string, string>> RuleHealthAsync()
    {
        var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/rules"));
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("health").GetString()!);
    }

    /// <summary>Runs <c>promtool</c> with <paramref name="arguments"/>, feeding it <paramref name="input"/>; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> PromtoolAsync(string? input, params string[] arguments)
    {
        var result = await ChildProcess.RunAsync(new ChildProcessCommand(InstalledProgram.Path("promtool", InstalledBy), arguments) { StandardInput = input });
        return (result.ExitCode, result.Output + result.Errors);
    }

    public ValueTask DisposeAsync()
    {
        process.Kill();
        process.Dispose();
        http.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Prometheus may still be closing its files; /tmp is cleaned by the system.
        }

        return ValueTask.CompletedTask;
    }

    private async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}/-/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
