using Forge.Modularity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Metrics;

namespace Forge.Host.Http;

/// <summary>
/// The HTTP side of <c>forge run</c>: a small Kestrel application on <c>Forge:Http:Urls</c> serving
/// <c>/metrics</c>, <c>/healthz</c>, the admin API and the endpoints of enabled modules (the registry's <c>/v2/</c>). It has a container of its own for Kestrel and routing
/// only; its endpoints are built from the host's services and its logs go to the host's loggers.
/// </summary>
public sealed partial class ForgeHttpServer(
    HttpSettings settings,
    MeterProvider meters,
    HealthEndpoint health,
    AdminCronEndpoints adminCron,
    IEnumerable<IModuleEndpoints> moduleEndpoints,
    ILoggerFactory loggers,
    ILogger<ForgeHttpServer> logger) : IHostedService, IAsyncDisposable
{
    public const string MetricsPath = "/metrics";
    public const string HealthPath = "/healthz";
    public const string AdminCronPath = "/api/v1/admin/cron";

    private WebApplication? web;

    /// <summary>Where the server listens once started, with the port Kestrel chose for a port 0.</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Empty: nothing read from the environment or appsettings (ASPNETCORE_URLS cannot move the port).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "forge", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new WithoutInnerHostLogs(loggers));
        // The host's own lifetime handles SIGINT and SIGTERM and stops this server with the rest.
        builder.Services.AddSingleton<IHostLifetime, HostedLifetime>();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().UseUrls([.. settings.Urls]);
        web = builder.Build();
        web.UseOpenTelemetryPrometheusScrapingEndpoint(meters, predicate: null, path: MetricsPath, configureBranchedPipeline: null, optionsName: null);
        web.MapGet(HealthPath, health.HandleAsync);
        web.MapGet(AdminCronPath, adminCron.Guard(adminCron.ListAsync));
        web.MapPost(AdminCronPath + "/{task}", adminCron.Guard(adminCron.RunNowAsync));
        var modules = moduleEndpoints.ToList();
        foreach (var module in modules)
        {
            module.Map(web);
        }

        try
        {
            await web.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await web.DisposeAsync();
            web = null;
            // Kestrel's message says it all ("Failed to bind to address ...: address already in use."); its
            // inner exceptions would only repeat it on the one line the command line prints.
            throw new InvalidOperationException(
                $"Cannot serve HTTP on {string.Join(", ", settings.Urls)} ({HttpSettings.UrlsKey}): {e.Message.TrimEnd('.')}; " +
                $"another process holds the port, or set {HttpSettings.UrlsKey} to a free one.");
        }

        var addresses = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Addresses = [.. addresses.Select(a => new Uri(a))];
        LogServing(
            string.Join(", ", addresses),
            string.Concat(modules.Select(m => ", " + m.Description)),
            settings.AdminToken is null ? "off (no Forge:Admin:Token)" : "on");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (web is not null)
        {
            await web.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (web is not null)
        {
            await web.DisposeAsync();
            web = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving HTTP on {Addresses}: /metrics, /healthz{Modules}; admin API {Admin}")]
    private partial void LogServing(string addresses, string modules, string admin);

    /// <summary>
    /// The host's loggers, less those of this server's own generic host: a start that fails (a port in use)
    /// is reported once, by the host that owns this server, not twice with the same stack trace.
    /// </summary>
    private sealed class WithoutInnerHostLogs(ILoggerFactory loggers) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName)
            => categoryName == "Microsoft.Extensions.Hosting.Internal.Host" ? NullLogger.Instance : loggers.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => loggers.AddProvider(provider);

        // The host's loggers outlive this server.
        public void Dispose()
        {
        }
    }

    /// <summary>Starts and stops with the host that owns this server; no signal handling of its own.</summary>
    private sealed class HostedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
