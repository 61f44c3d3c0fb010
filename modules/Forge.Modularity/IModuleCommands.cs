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
