using Forge.Host.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Host.Hosting;

/// <summary>How to compose a Forge host; the command line and the tests fill it in.</summary>
public sealed class ForgeAppOptions
{
    public ModuleCatalog Catalog { get; init; } = ModuleCatalog.Default;

    /// <summary>Settings that win over appsettings.json and the environment (tests use them).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// Whether the host runs the Quartz scheduler and serves HTTP (the <c>run</c> command), or only offers
    /// services (the other commands, which never bind a port).
    /// </summary>
    public bool UseScheduler { get; init; }

    public Action<IServiceCollection>? ConfigureServices { get; init; }
}
