using Microsoft.AspNetCore.Routing;

namespace Forge.Modularity;

/// <summary>
/// HTTP endpoints a module serves in <c>forge run</c>, next to the host's own (<c>/metrics</c>, <c>/healthz</c>,
/// the admin API). The instance comes from the host's container, so its handlers use the module's services.
/// Declared with <see cref="ModuleContext.AddEndpoints{TEndpoints}"/>; a disabled module serves nothing.
/// </summary>
public interface IModuleEndpoints
{
    /// <summary>What the startup log line lists, e.g. <c>/v2/ (container registry)</c>.</summary>
    string Description { get; }

    void Map(IEndpointRouteBuilder endpoints);
}
