using Forge.Testing;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Forge.Host.Hosting;
using Forge.Host.Http;
using Forge.Host.Tests.Support;
using Forge.Packages.ExpiredData;
using Forge.Packages.Rules;
using Forge.Packages.Container.Cleanup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;

namespace Forge.Host.Tests;

/// <summary>
/// What <c>forge run</c> serves over loopback HTTP: <c>/metrics</c>, <c>/healthz</c> and the admin cron API,
/// on a host with the real modules, the real scheduler and a real database.
/// </summary>
public sealed class HttpEndpointTests : DatabaseTest
{
    private const string Token = "admin-token-5b1e9d7c";
    private const string CronPath = "api/v1/admin/cron";

    [Test]
    public async Task Metrics_after_runs_have_the_run_counters_of_every_meter_and_the_last_success_gauge()
    {
        await using var host = await StartAsync(AdminToken);
        using var http = Admin(host);

        await RunNowAsync(http, ExpiredDataCleanupTask.Name);
        await RunNowAsync(http, DanglingImageCleanupTask.Name);
        var metrics = await ScrapeAsync(http);

        Assert.Multiple(() =>
        {
            Assert.That(metrics, Does.Contain($"forge_cron_runs_total{{otel_scope_name=\"Forge.Host\",outcome=\"success\",task=\"{ExpiredDataCleanupTask.Name}\"}} 1"));
            Assert.That(metrics, Does.Contain("forge_cron_run_duration_seconds_count{"));
            Assert.That(metrics, Does.Contain("forge_packages_cleanup_runs_total{otel_scope_name=\"Forge.Packages\""));
            Assert.That(metrics, Does.Contain("forge_packages_container_cleanup_runs_total{otel_scope_name=\"Forge.Packages.Container\""));
            Assert.That(metrics, Does.Match("(?m)^quartz_[a-z_]+\\{otel_scope_name=\"Quartz\""));
            Assert.That(LastSuccess(metrics, ExpiredDataCleanupTask.Name), Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(60));
            Assert.That(LastSuccess(metrics, DanglingImageCleanupTask.Name), Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(60));
        });
    }

    [Test]
    public async Task The_last_success_gauge_starts_from_the_recorded_runs_so_a_restart_keeps_it()
    {
        var succeeded = DateTimeOffset.Parse("2026-11-01T03:04:05Z", CultureInfo.InvariantCulture);
        await RecordRunAsync(ExpiredDataCleanupTask.Name, "success", succeeded);
        await RecordRunAsync(ExpiredDataCleanupTask.Name, "failure", succeeded.AddDays(1));
        await using var host = await StartAsync();
        using var http = host.Http();

        var metrics = await Poll.UntilAsync(() => ScrapeAsync(http), text => text.Contains("forge_cron_last_success_seconds", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(LastSuccess(metrics, ExpiredDataCleanupTask.Name), Is.EqualTo(succeeded.ToUnixTimeSeconds()), "the last success, not the later failure");
            Assert.That(LastSuccess(metrics, DanglingImageCleanupTask.Name), Is.Null, "a task that never succeeded has no value");
        });
    }

    [Test]
    public async Task Health_is_ok_when_the_database_answers_and_the_scheduler_runs()
    {
        await using var host = await StartAsync();
        using var http = host.Http();

        using var response = await http.GetAsync("healthz");

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("""{"status":"ok","checks":{"database":{"ok":true},"scheduler":{"ok":true}}}"""));
        });
    }

    [Test]
    public async Task Health_is_503_naming_the_database_when_it_does_not_answer_and_never_shows_the_password()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Port = Ports.Closed() };
        await using var host = await RunningHost.StartAsync(TestHosts.Options(
            unreachable.ConnectionString, new TestModule(TestModule.DefaultName), moduleEnabled: false, useScheduler: true, [.. NoRunAtStart]));
        await SchedulerRunningAsync(host);
        using var http = host.Http();

        using var response = await http.GetAsync("healthz");
        var body = await response.Content.ReadAsStringAsync();

        using var json = JsonDocument.Parse(body);
        var checks = json.RootElement.GetProperty("checks");
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("unhealthy"));
            Assert.That(checks.GetProperty("database").GetProperty("ok").GetBoolean(), Is.False);
            Assert.That(checks.GetProperty("database").GetProperty("error").GetString(), Does.Contain("Failed to connect to 127.0.0.1"));
            Assert.That(checks.GetProperty("scheduler").GetProperty("ok").GetBoolean(), Is.True);
            Assert.That(body, Does.Not.Contain(unreachable.Password!));
        });
    }

    [Test]
    public async Task Health_is_503_naming_the_scheduler_when_it_stands_by()
    {
        await using var host = await StartAsync();
        using var http = host.Http();
        var scheduler = await host.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

        await scheduler.Standby();
        using var response = await http.GetAsync("healthz");

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(
                await response.Content.ReadAsStringAsync(),
                Is.EqualTo("""{"status":"unhealthy","checks":{"database":{"ok":true},"scheduler":{"ok":false,"error":"the scheduler is in standby"}}}"""));
        });
    }

    [Test]
    public async Task Without_a_configured_token_the_admin_API_is_off_and_says_how_to_enable_it()
    {
        await using var host = await StartAsync();
        using var http = host.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);

        using var list = await http.GetAsync(CronPath);
        using var run = await http.PostAsync($"{CronPath}/{ExpiredDataCleanupTask.Name}", null);

        Assert.Multiple(async () =>
        {
            Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(run.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await MessageAsync(list), Does.Contain("The admin API is off: set Forge:Admin:Token"));
            Assert.That(await RecordedRuns.OfAsync(Database, ExpiredDataCleanupTask.Name), Is.Empty);
        });
    }

    [Test]
    public async Task A_request_without_a_token_is_refused_with_401_and_counted()
    {
        await using var host = await StartAsync(AdminToken);
        using var http = host.Http();

        using var list = await http.GetAsync(CronPath);
        using var run = await http.PostAsync($"{CronPath}/{ExpiredDataCleanupTask.Name}", null);

        Assert.Multiple(async () =>
        {
            Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(run.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(list.Headers.WwwAuthenticate.ToString(), Is.EqualTo("token"));
            Assert.That(await ScrapeAsync(http), Does.Contain("forge_http_admin_unauthorized_total{otel_scope_name=\"Forge.Host\",reason=\"missing\"} 2"));
            Assert.That(await RecordedRuns.OfAsync(Database, ExpiredDataCleanupTask.Name), Is.Empty);
        });
    }

    [TestCase("token not-the-admin-token")]
    [TestCase("token " + Token + "x")]
    [TestCase("Bearer " + Token)]
    public async Task A_wrong_token_is_refused_with_401_counted_and_logged_without_any_token(string authorization)
    {
        var logs = new LogRecorder();
        await using var host = await StartAsync(logs, AdminToken, ("Logging:LogLevel:Default", "Trace"), ("Logging:LogLevel:Microsoft", "Trace"), ("Logging:LogLevel:Microsoft.AspNetCore", "Trace"));
        using var http = host.Http();
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var response = await http.GetAsync(CronPath);
        var metrics = await ScrapeAsync(http);

        var presented = authorization[(authorization.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(metrics, Does.Match("forge_http_admin_unauthorized_total\\{otel_scope_name=\"Forge.Host\",reason=\"(wrong|missing)\"\\} 1"));
            Assert.That(logs.Text, Does.Contain("Admin API request refused"));
            Assert.That(logs.Text, Does.Not.Contain(presented), "the token presented");
            Assert.That(logs.Text, Does.Not.Contain(Token), "the admin token");
            Assert.That(metrics + await response.Content.ReadAsStringAsync(), Does.Not.Contain(Token));
        });
    }

    [Test]
    public async Task Refusals_are_all_counted_but_logged_at_most_once_per_interval()
    {
        var logs = new LogRecorder();
        await using var host = await StartAsync(logs, AdminToken);
        using var http = host.Http();
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "token guess");

        for (var i = 0; i < 20; i++)
        {
            using var response = await http.GetAsync(CronPath);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        var metrics = await ScrapeAsync(http);
        Assert.Multiple(() =>
        {
            Assert.That(metrics, Does.Contain("forge_http_admin_unauthorized_total{otel_scope_name=\"Forge.Host\",reason=\"wrong\"} 20"));
            Assert.That(logs.Text.Split('\n').Count(l => l.Contains("Admin API request refused", StringComparison.Ordinal)), Is.EqualTo(1), logs.Text);
        });
    }

    [Test]
    public async Task With_the_token_the_cron_list_shows_the_real_tasks_with_their_schedule_next_and_previous_run()
    {
        await RecordRunAsync(ExpiredDataCleanupTask.Name, "failure", DateTimeOffset.UtcNow.AddHours(-1));
        await using var host = await StartAsync(AdminToken);
        using var http = Admin(host);

        using var response = await http.GetAsync(CronPath);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var tasks = json.RootElement.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(tasks.Keys, Is.EquivalentTo((string[])[PackageRulesCleanupTask.Name, ExpiredDataCleanupTask.Name, DanglingImageCleanupTask.Name]));
        var packages = tasks[ExpiredDataCleanupTask.Name];
        var container = tasks[DanglingImageCleanupTask.Name];
        Assert.Multiple(() =>
        {
            Assert.That(packages.GetProperty("schedule").GetString(), Is.EqualTo("@midnight"));
            Assert.That(packages.GetProperty("enabled").GetBoolean(), Is.True);
            Assert.That(packages.GetProperty("next").GetDateTimeOffset(), Is.EqualTo(NextMidnight()));
            Assert.That(packages.GetProperty("prev").GetDateTimeOffset(), Is.EqualTo(DateTimeOffset.UtcNow.AddHours(-1)).Within(TimeSpan.FromMinutes(1)));
            Assert.That(packages.GetProperty("prev_outcome").GetString(), Is.EqualTo("failure"));
            Assert.That(packages.GetProperty("exec_times").GetInt64(), Is.EqualTo(1));
            Assert.That(container.GetProperty("prev").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(container.GetProperty("prev_outcome").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(container.GetProperty("exec_times").GetInt64(), Is.Zero);
        });
    }

    [Test]
    public async Task With_the_token_a_post_runs_the_task_through_the_scheduler_recorded_as_manual()
    {
        await using var host = await StartAsync(AdminToken);
        using var http = Admin(host);

        using var response = await http.PostAsync($"{CronPath}/{ExpiredDataCleanupTask.Name}", null);
        var runs = await RecordedRuns.WaitForAsync(Database, ExpiredDataCleanupTask.Name, "success", count: 1);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(runs.Select(r => r.TriggerAndOutcome), Is.EqualTo((string[])["manual success"]));
        });
    }

    [Test]
    public async Task A_post_for_an_unknown_task_is_404_and_for_a_disabled_one_409()
    {
        await using var host = await StartAsync(AdminToken, ($"Forge:Cron:{DanglingImageCleanupTask.Name}:Enabled", "false"));
        using var http = Admin(host);

        using var unknown = await http.PostAsync($"{CronPath}/cleanup_everything", null);
        using var disabled = await http.PostAsync($"{CronPath}/{DanglingImageCleanupTask.Name}", null);

        Assert.Multiple(async () =>
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await MessageAsync(unknown), Does.Contain("There is no cron task named 'cleanup_everything'"));
            Assert.That(disabled.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(await MessageAsync(disabled), Does.Contain($"Cron task {DanglingImageCleanupTask.Name} is disabled"));
            Assert.That(await RecordedRuns.OfAsync(Database, DanglingImageCleanupTask.Name), Is.Empty);
        });
    }

    [TestCase("127.0.0.1:3000", "is not a URL")]
    [TestCase("http://127.0.0.1:99999", "is not a URL")]
    [TestCase("https://127.0.0.1:3000", "is not http://")]
    [TestCase("http://127.0.0.1:3000/forge", "has more than a host and a port")]
    [TestCase(";", "names no URL")]
    [TestCase("http://forge.internal:3000", "names the host 'forge.internal', and Kestrel would listen on every interface")]
    public void A_bad_http_url_is_a_configuration_error_naming_the_key(string urls, string why)
    {
        var options = TestHosts.Options(Database, new TestModule(TestModule.DefaultName), useScheduler: true, (HttpSettings.UrlsKey, urls));

        var error = Assert.ThrowsAsync<ForgeConfigurationException>(() => ForgeApp.CreateAsync(options));

        Assert.That(error.Message, Does.StartWith($"Forge:Http:Urls is '{urls}'").And.Contain(why));
    }

    [TestCase("http://*:3000", "http://*:3000")]
    [TestCase("http://0.0.0.0:3000/", "http://0.0.0.0:3000")]
    [TestCase(" http://127.0.0.1:0 ; http://[::1]:3001", "http://127.0.0.1:0 http://[::1]:3001")]
    [TestCase("", HttpSettings.DefaultUrls)]
    public void Good_http_urls_are_read_as_kestrel_takes_them(string urls, string expected)
    {
        var settings = HttpSettings.Read(InMemoryConfiguration.From((HttpSettings.UrlsKey, urls)));

        Assert.That(string.Join(' ', settings.Urls), Is.EqualTo(expected));
    }

    [Test]
    public void A_port_in_use_stops_the_start_with_an_error_naming_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync((HttpSettings.UrlsKey, url)));

        Assert.That(error.Message, Does.StartWith($"Cannot serve HTTP on {url} (Forge:Http:Urls)").And.Contain("address already in use"));
    }

    [Test]
    public async Task Commands_other_than_run_serve_no_HTTP()
    {
        await using var app = await ForgeApp.CreateAsync(TestHosts.Options(Database, new TestModule(TestModule.DefaultName), useScheduler: false));

        Assert.That(app.Services.GetService<ForgeHttpServer>(), Is.Null);
    }

    private static (string Key, string? Value) AdminToken => (HttpSettings.AdminTokenKey, Token);

    /// <summary>The real tasks run only when a test asks: runs at start would race what it checks.</summary>
    private static IEnumerable<(string Key, string? Value)> NoRunAtStart =>
        [($"Forge:Cron:{ExpiredDataCleanupTask.Name}:RunAtStart", "false"), ($"Forge:Cron:{DanglingImageCleanupTask.Name}:RunAtStart", "false")];

    private Task<RunningHost> StartAsync(params (string Key, string? Value)[] settings) => StartAsync(null, settings);

    /// <summary>Starts a host with the real modules and waits for its scheduler, which starts just after the host.</summary>
    private async Task<RunningHost> StartAsync(LogRecorder? logs, params (string Key, string? Value)[] settings)
    {
        var options = TestHosts.Options(Database, new TestModule(TestModule.DefaultName), useScheduler: true, [.. NoRunAtStart, .. settings]);
        var host = await RunningHost.StartAsync(logs is null ? options : new ForgeAppOptions
        {
            Catalog = options.Catalog,
            Settings = options.Settings,
            UseScheduler = true,
            ConfigureServices = s => s.AddSingleton<ILoggerProvider>(logs),
        });
        await SchedulerRunningAsync(host);
        return host;
    }

    /// <summary>Quartz starts its scheduler just after the host has started: a health check asked before then says "not started".</summary>
    private static async Task SchedulerRunningAsync(RunningHost host)
    {
        var scheduler = await host.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        await Poll.UntilAsync(() => scheduler.GetStatus().AsTask(), status => status == SchedulerStatus.Running);
    }

    private static HttpClient Admin(RunningHost host)
    {
        var http = host.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", Token);
        return http;
    }

    /// <summary>Fires the task through the admin API and waits for its run to finish.</summary>
    private async Task RunNowAsync(HttpClient http, string task)
    {
        using var response = await http.PostAsync($"{CronPath}/{task}", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        await RecordedRuns.WaitForAsync(Database, task, "success", count: 1);
    }

    private static async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("metrics");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The gauge's value for the task, in whole unix seconds; null when the scrape has none.</summary>
    private static long? LastSuccess(string metrics, string task)
    {
        var prefix = $"forge_cron_last_success_seconds{{otel_scope_name=\"Forge.Host\",task=\"{task}\"}} ";
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? null : (long)double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    private static async Task<string?> MessageAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("message").GetString();
    }

    private static DateTimeOffset NextMidnight()
    {
        var now = DateTimeOffset.Now;
        return new DateTimeOffset(now.Date.AddDays(1), now.Offset).ToUniversalTime();
    }

    private Task RecordRunAsync(string task, string outcome, DateTimeOffset finishedAt)
        => Database.ExecuteAsync($"""
            INSERT INTO forge_cron_run (task, node, trigger, started_at, finished_at, outcome, summary)
            VALUES ('{task}', 'earlier-node', 'schedule', '{finishedAt.AddSeconds(-1):O}', '{finishedAt:O}', '{outcome}', 'recorded by the test')
            """);
}
