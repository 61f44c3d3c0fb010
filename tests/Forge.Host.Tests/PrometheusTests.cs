using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Forge.Host.Tests.Support;

namespace Forge.Host.Tests;

/// <summary>
/// The dashboard and the alerting rules of build/dashboards against the real thing: a <c>forge run</c> process
/// serving /metrics, a real Prometheus scraping it every second, the three cleanup tasks run through the admin
/// API on the demo registry (the package rules with a rule that removes a tag), and every metric the dashboard
/// and the rules use asked of Prometheus.
/// </summary>
[Category("Observability")]
public sealed partial class PrometheusTests : DatabaseTest
{
    private const string Token = "prometheus-test-token";

    /// <summary>The package rules' series that a real run makes (the failure counter is there from the start).</summary>
    private static readonly string[] RulesRunSeries =
    [
        "forge_packages_rules_runs_total", "forge_packages_rules_versions_removed_total", "forge_packages_rules_versions_kept_total",
        "forge_packages_rules_duration_seconds_sum", "forge_packages_rules_duration_seconds_count",
    ];

    [Test]
    public async Task Every_metric_of_the_dashboard_and_the_alerting_rules_has_data_in_Prometheus()
    {
        await using var scratch = new ScratchDirectory();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Forge"] = Database.ConnectionString,
            ["Forge__Packages__StorePath"] = Path.Combine(scratch.Path, "packages"),
            ["Forge__Admin__Token"] = Token,
            // Only the admin API starts the tasks here.
            ["Forge__Cron__cleanup_container_sha256__RunAtStart"] = "false",
            ["Forge__Cron__cleanup_packages__RunAtStart"] = "false",
            ["Forge__Cron__cleanup_package_rules__RunAtStart"] = "false",
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
        // A tag older than tool:1.0, and a rule of the demo owner that keeps the newest tag of each image and removes
        // only 'v0': the rules' panels get every series (removed; kept as latest, digest, keep_count, and as
        // remove_pattern_mismatch 'broken', which so stays for the malformed-metadata counter whichever task runs first).
        await Database.ExecuteAsync("""
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            SELECT package_id, 'v0', 'v0', 1, metadata_json FROM package_version WHERE lower_version = '1.0'
            """);
        await Database.ExecuteAsync("""
            INSERT INTO package_cleanup_rule (owner_id, type, enabled, keep_count, remove_pattern)
            SELECT DISTINCT owner_id, 'container', true, 1, 'v0' FROM package
            """);
        using var host = HostProcess.Start(environment, "run");
        Assert.That(await host.WaitUntilErrorsContainAsync("Application started", Poll.Deadline), Is.True, host.Errors);
        // The host took a free port (HostProcess gives it http://127.0.0.1:0) and logged it.
        var address = ServingAddress().Match(host.Errors).Groups[1].Value;
        await using var prometheus = await PrometheusServer.StartAsync(address, Dashboards("forge-alerts.yml"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{address}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);

        foreach (var task in new[] { "cleanup_package_rules", "cleanup_container_sha256", "cleanup_packages" })
        {
            using var started = await http.PostAsync(new Uri($"/api/v1/admin/cron/{task}", UriKind.Relative), null);
            Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), task);
        }

        // The manual runs (and the runs they chain) scraped, twice at least; so is every series of the rules' run,
        // which the run makes at different moments.
        var rulesScrapedTwice = string.Concat(RulesRunSeries.Select(s => $" and min(count_over_time({s}[1m])) >= 2"));
        var manual = await Poll.UntilAsync(
            () => prometheus.QueryAsync(
                "sum(forge_cron_runs_total{outcome=\"success\"}) >= 4 and sum(count_over_time(forge_cron_runs_total{task=\"cleanup_packages\"}[1m])) >= 6" +
                rulesScrapedTwice + " and count(forge_packages_rules_versions_kept_total) >= 4"),
            r => r.Count > 0);
        var runs = await RecordedRuns.OfAsync(Database, "cleanup_container_sha256");
        var ruleRuns = await RecordedRuns.OfAsync(Database, "cleanup_package_rules");
        var tags = await Database.ColumnAsync("SELECT lower_version FROM package_version WHERE lower_version IN ('v0', 'broken', '1.0') ORDER BY 1");
        var dashboard = await File.ReadAllTextAsync(Dashboards("forge-cleanups.json"));
        var rules = await File.ReadAllTextAsync(Dashboards("forge-alerts.yml"));
        var metrics = MetricNames(dashboard).Union(MetricNames(rules)).Order().ToList();
        var missing = new List<string>();
        foreach (var metric in metrics)
        {
            if ((await prometheus.QueryAsync(metric)).Count == 0)
            {
                missing.Add(metric);
            }
        }

        // Each panel's query as Grafana sends it, with its interval variables filled in.
        var panels = PanelQueries(dashboard);
        var emptyPanels = new List<string>();
        foreach (var query in panels)
        {
            if ((await prometheus.QueryAsync(query.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$__range", "1h", StringComparison.Ordinal))).Count == 0)
            {
                emptyPanels.Add(query);
            }
        }

        var removed = await prometheus.QueryAsync("sum(forge_packages_rules_versions_removed_total)");
        var keptReasons = await ReasonsAsync(prometheus, "forge_packages_rules_versions_kept_total");
        // The demo's SBOM of a dangling manifest goes with it; its signed tag keeps its signature.
        var containerDeletedReasons = await ReasonsAsync(prometheus, "forge_packages_container_cleanup_versions_deleted_total");
        var containerKeptReasons = await ReasonsAsync(prometheus, "forge_packages_container_cleanup_versions_kept_total");
        // The task-level alerts name the rules' task as they name the others.
        var sinceSuccess = await prometheus.QueryAsync("time() - max by (task) (forge_cron_last_success_seconds{task=\"cleanup_package_rules\"})");

        // A zero per task and outcome from the start: increase() sees a task's first failure.
        var failureSeries = await prometheus.QueryAsync("forge_cron_runs_total{outcome=\"failure\"}");
        var scrape = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var lint = await PrometheusServer.PromtoolAsync(scrape, "check", "metrics");
        var check = await PrometheusServer.PromtoolAsync(null, "check", "rules", Dashboards("forge-alerts.yml"));
        var health = await prometheus.RuleHealthAsync();

        Assert.Multiple(() =>
        {
            Assert.That(manual, Is.Not.Empty, "the runs reached Prometheus");
            Assert.That(runs.Select(r => r.TriggerAndOutcome), Has.Some.EqualTo("manual success"), "the admin API's run");
            Assert.That(ruleRuns.Select(r => r.TriggerAndOutcome), Has.Some.EqualTo("manual success"), "the admin API's run of the rules");
            Assert.That(tags, Is.EqualTo((string[])["1.0", "broken"]), "the rule removed v0 and kept the others");
            Assert.That(metrics, Has.Count.GreaterThanOrEqualTo(8), "the dashboard and the rules name the cleanups' metrics");
            Assert.That(metrics, Is.SupersetOf(RulesRunSeries.Append("forge_packages_rules_failures_total")), "the dashboard and the rules name the package rules' metrics");
            Assert.That(missing, Is.Empty, "metrics of the dashboard or the rules without data in Prometheus");
            Assert.That(panels, Has.Count.GreaterThanOrEqualTo(10));
            Assert.That(emptyPanels, Is.Empty, "panel queries without data");
            Assert.That(removed.Select(s => s.GetProperty("value")[1].GetString()), Is.EqualTo((string[])["1"]), "the rule's removal reached Prometheus");
            Assert.That(keptReasons, Is.SupersetOf((string[])["latest", "digest", "keep_count", "remove_pattern_mismatch"]));
            Assert.That(containerDeletedReasons, Is.EquivalentTo((string[])["unreferenced", "orphaned_referrer"]));
            Assert.That(containerKeptReasons, Is.SupersetOf((string[])["referenced", "too_young", "subject_alive", "spared"]));
            Assert.That(sinceSuccess, Has.Count.EqualTo(1), "the rules' task has a last success for ForgeCleanupNotSucceeding");
            Assert.That(failureSeries, Has.Count.EqualTo(3), "a failure series for each task before any failure");
            Assert.That(lint.ExitCode, Is.Zero, lint.Output);
            Assert.That(check.ExitCode, Is.Zero, check.Output);
            Assert.That(health, Has.Count.EqualTo(6), "every rule of forge-alerts.yml");
            Assert.That(health.Values, Has.All.EqualTo("ok"), string.Join(", ", health));
        });
    }

    /// <summary>The <c>reason</c> labels of a counter's series.</summary>
    private static async Task<List<string?>> ReasonsAsync(PrometheusServer prometheus, string metric)
        => [.. (await prometheus.QueryAsync(metric)).Select(s => s.GetProperty("metric").GetProperty("reason").GetString()).Distinct()];

    /// <summary>Every <c>expr</c> of the dashboard's panels.</summary>
    private static List<string> PanelQueries(string dashboard)
    {
        using var document = System.Text.Json.JsonDocument.Parse(dashboard);
        return document.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
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

    [GeneratedRegex(@"Serving HTTP on http://(127\.0\.0\.1:\d+)")]
    private static partial Regex ServingAddress();
}
