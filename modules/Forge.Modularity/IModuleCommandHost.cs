namespace Forge.Modularity;

/// <summary>What the host offers a module's command.</summary>
public interface IModuleCommandHost
{
    /// <summary>The command's standard output (its report; JSON with <c>--json</c>).</summary>
    TextWriter Output { get; }

    /// <summary>
    /// Composes the host (configuration, modules, database with its schema), runs <paramref name="action"/>
    /// with the host's services, and shuts everything down again. Fails when <paramref name="moduleName"/>
    /// is not enabled.
    /// </summary>
    Task<int> RunAsync(string moduleName, Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken cancellationToken);
}
