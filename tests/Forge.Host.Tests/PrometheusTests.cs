using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Forge.Host.Tests.Support;

namespace Forge.Host.Tests;

/// <summary>
/// The dashboard and the alerting rules of build/dashboards against the real thing: a <c>forge run</c> process
/// serving /metrics, a real Prometheus scraping it every second, both cleanup tasks run through the admin
/// API on the demo registry, and every metric the dashboard and the rules use asked of Prometheus.
/// </summary>
[Category("Observability")]
public sealed partial class PrometheusTests : DatabaseTest
{
    private const string Token = "prometheus-test-token";

    [Test]
    public async Task Every_metric_of_the_dashboard_and_the_alerting_rules_has_data_in_Prometheus()
    {
        await using var scratch = new ScratchDirectory();
        var port = Ports.Free();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Forge"] = Database.ConnectionString,
            ["Forge__Packages__StorePath"] = Path.Combine(scratch.Path, "packages"),
            ["Forge__Http__Urls"] = $"http://127.0.0.1:{port}",
            ["Forge__Admin__Token"] = Token,
        };
        using (var demo = HostProcess.Start(environment, "packages", "container", "demo"))
        {
            Assert.That(await demo.WaitForExitAsync(Poll.Deadline) && demo.ExitCode == 0, Is.True, demo.Errors);
        }

        // One index whose metadata is not JSON: the malformed-metadata counter has something to count.
        await Database.ExecuteAsync("""
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            SELECT id, 'broken', 'broken', 0, '{"manifests": [ {"digest": "sha256:' FROM package WHERE lower_name = 'app'
            """);
        using var host = HostProcess.Start(environment, "run");
        Assert.That(await host.WaitForLogAsync("Application started", Poll.Deadline), Is.True, host.Errors);
        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{port}", Dashboards("forge-alerts.yml"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);

        foreach (var task in new[] { "cleanup_container_sha256", "cleanup_packages" })
        {
            using var started = await http.PostAsync(new Uri($"/api/v1/admin/cron/{task}", UriKind.Relative), null);
            Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), task);
        }

        var manual = await Poll.UntilAsync(
            () => prometheus.QueryAsync("sum(forge_cron_runs_total)"),
            r => r.Count > 0 && double.Parse(r[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 4);
        var metrics = MetricNames(await File.ReadAllTextAsync(Dashboards("forge-cleanups.json")))
            .Union(MetricNames(await File.ReadAllTextAsync(Dashboards("forge-alerts.yml")))).Order().ToList();
        var missing = new List<string>();
        foreach (var metric in metrics)
        {
            if ((await prometheus.QueryAsync(metric)).Count == 0)
            {
                missing.Add(metric);
            }
        }

        var scrape = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var lint = await PrometheusServer.PromtoolAsync(scrape, "check", "metrics");
        var rules = await PrometheusServer.PromtoolAsync(null, "check", "rules", Dashboards("forge-alerts.yml"));
        var health = await prometheus.RuleHealthAsync();

        Assert.Multiple(() =>
        {
            Assert.That(manual, Is.Not.Empty, "the runs reached Prometheus");
            Assert.That(metrics, Has.Count.GreaterThanOrEqualTo(8), "the dashboard and the rules name the cleanups' metrics");
            Assert.That(missing, Is.Empty, "metrics of the dashboard or the rules without data in Prometheus");
            Assert.That(lint.ExitCode, Is.Zero, lint.Output);
            Assert.That(rules.ExitCode, Is.Zero, rules.Output);
            Assert.That(health, Has.Count.EqualTo(3));
            Assert.That(health.Values, Has.All.EqualTo("ok"), string.Join(", ", health));
        });
    }

    /// <summary>The metric names an expression file uses: every <c>forge_…</c> word.</summary>
    private static IEnumerable<string> MetricNames(string text) => MetricName().Matches(text).Select(m => m.Value).Distinct();

    private static string Dashboards(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "build", "dashboards", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"build/dashboards/{file} not found above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"\bforge_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
