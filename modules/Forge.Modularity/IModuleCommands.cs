using System.CommandLine;

namespace Forge.Modularity;

/// <summary>
/// A module that adds commands to the <c>forge</c> command line. Commands are built for every module in
/// the catalog, so that <c>--help</c> always lists them; running one of a disabled module is an error.
/// </summary>
public interface IModuleCommands
{
    IEnumerable<ModuleCommand> BuildCommands(IModuleCommandHost host);
}

/// <summary>A command and the path of the command it goes under, e.g. <c>["packages", "container"]</c>.</summary>
public sealed record ModuleCommand(IReadOnlyList<string> ParentPath, Command Command);

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

/// <summary>The validated settings of every cron task; commands take their defaults from here.</summary>
public interface ICronTaskSettingsLookup
{
    CronTaskSettings SettingsOf(string taskName);
}
