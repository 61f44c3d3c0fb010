using Forge.Modularity;

namespace Forge.Packages.Container;

/// <summary>
/// Container images over the shared packages schema. Its cleanup of dangling <c>sha256:*</c> versions,
/// and later the registry API, are registered here.
/// </summary>
public sealed class ContainerModule : IModule
{
    public const string ModuleName = "Packages.Container";

    /// <summary>The name of the module's Meter and ActivitySource.</summary>
    public const string TelemetryName = "Forge.Packages.Container";

    public string Name => ModuleName;

    public IReadOnlyList<string> Dependencies => [PackagesModule.ModuleName];

    public void Register(ModuleContext context)
    {
        context.AddTelemetrySource(TelemetryName);
    }
}
