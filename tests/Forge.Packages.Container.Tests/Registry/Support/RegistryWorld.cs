using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Forge.Accounts;
using Forge.Host.Cli;
using Forge.Host.Hosting;
using Forge.Host.Http;
using Forge.Testing;
using Forge.Tooling.Oci;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Tests.Registry.Support;

/// <summary>
/// A running Forge host serving the registry on a free loopback port (real clock, real HTTP), over a fresh
/// database and content store, with accounts (the Accounts module's, real password hashes) to push as.
/// </summary>
public sealed class RegistryWorld : IAsyncDisposable
{
    private readonly LogRecorder logs;
    private readonly (string Key, string? Value)[] settings;
    private bool stopped;

    private RegistryWorld(ForgeTestWorld world, LogRecorder logs, (string Key, string? Value)[] settings)
    {
        World = world;
        this.logs = logs;
        this.settings = settings;
        Address = world.Service<ForgeHttpServer>().Addresses[0];
    }

    public ForgeTestWorld World { get; }

    /// <summary>The registry's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary><c>127.0.0.1:port</c>, as image references name the registry.</summary>
    public string Host => Address.Authority;

    /// <summary>Everything the host logged so far, at every level (debug included), one entry a line.</summary>
    public string Logs => logs.Text;

    public static Task<RegistryWorld> StartAsync(params (string Key, string? Value)[] settings) => StartAsync(null, settings);

    /// <summary>With services of the test's own (e.g. an account directory that knows access tokens) over the host's.</summary>
    public static Task<RegistryWorld> StartAsync(Action<IServiceCollection>? services, params (string Key, string? Value)[] settings)
        => StartAsync(configure => ForgeTestWorld.CreateAsync(configure, useScheduler: true, settings), services, settings);

    /// <summary>A second node beside <paramref name="first"/>: another host serving the registry over the same database.</summary>
    public static Task<RegistryWorld> JoinAsync(RegistryWorld first, params (string Key, string? Value)[] settings)
        => StartAsync(configure => ForgeTestWorld.JoinAsync(first.World, configure, useScheduler: true, settings), null, settings);

    private static async Task<RegistryWorld> StartAsync(
        Func<Action<IServiceCollection>, Task<ForgeTestWorld>> create, Action<IServiceCollection>? services, (string Key, string? Value)[] settings)
    {
        var logs = new LogRecorder();
        var world = await create(s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(LogRecorder).FullName, null, LogLevel.Trace, null)));
            services?.Invoke(s);
        });
        try
        {
            await world.App.Host.StartAsync();
            return new RegistryWorld(world, logs, settings);
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds an account that may push to <c>&lt;name&gt;/…</c>.</summary>
    public async Task<Account> AddAccountAsync(string name, string password)
        => await World.Service<AccountStore>().AddAsync(name, PasswordHash.Create(password), CancellationToken.None)
            ?? throw new InvalidOperationException($"The account {name} exists already.");

    /// <summary>A client of the registry; with a name and password, it sends them as HTTP Basic credentials.</summary>
    public HttpClient Client(string? name = null, string? password = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (name is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{password}")));
        }

        return client;
    }

    /// <summary>A client of the registry that sends a bearer token.</summary>
    public HttpClient BearerClient(string token)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>skopeo's reference of an image here: <c>docker://host/repository:tag</c> or <c>…@sha256:…</c>.</summary>
    public string Image(string repository, string tagOrDigest)
        => $"docker://{Host}/{repository}{(tagOrDigest.Contains(':', StringComparison.Ordinal) ? "@" : ":")}{tagOrDigest}";

    public static SkopeoAccess As(string name, string password) => SkopeoAccess.HttpAs(name, password);

    /// <summary>Runs a <c>forge</c> command in this process over the registry's database and content store, with the registry's settings.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunForgeAsync(params string[] args)
    {
        var options = new ForgeAppOptions
        {
            Settings = ForgeSettings.For(World.Database.ConnectionString, [("Forge:Packages:StorePath", World.StorePath), .. settings]),
        };
        await using var output = new StringWriter(CultureInfo.InvariantCulture);
        await using var error = new StringWriter(CultureInfo.InvariantCulture);
        var exitCode = await ForgeCommandLine.RunAsync(args, options, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Where the content store keeps the blob with this digest.</summary>
    public string ContentPath(string digest)
    {
        var hex = digest["sha256:".Length..];
        return Path.Combine(World.StorePath, hex[..2], hex[2..4], hex);
    }

    /// <summary>Stops the host as <c>forge run</c> does at SIGTERM (its hosted services' last work included), keeping the database to look at.</summary>
    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await World.App.Host.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await World.DisposeAsync();
        }
    }
}
