using System.CommandLine;
using Forge.Host.Hosting;
using Forge.Modularity;

namespace Forge.Host.Cli;

/// <summary><c>modules list</c>: every module the host knows, whether it is enabled and what it needs.</summary>
internal static class ModulesCommands
{
    public static Command Build(ForgeAppOptions options, TextWriter output)
    {
        var modules = new Command("modules", "Inspect the modules this host knows.");
        var list = new Command("list", "List the modules, whether each is enabled (Forge:Modules:<Name>:Enabled) and the modules it needs.");
        list.SetAction(async (_, _) =>
        {
            var configuration = ForgeApp.LoadConfiguration(options);
            var enabled = options.Catalog.Resolve(configuration);
            var rows = options.Catalog.Modules.Select(m => new[]
            {
                m.Name,
                enabled.Contains(m) ? "yes" : "no",
                m.Dependencies.Count == 0 ? "-" : string.Join(", ", m.Dependencies),
            });
            await TextTable.WriteAsync(output, ["MODULE", "ENABLED", "NEEDS"], rows);
            return ExitCodes.Success;
        });
        modules.Subcommands.Add(list);
        return modules;
    }
}
