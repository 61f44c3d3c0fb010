using System.CommandLine;
using Forge.Modularity;
using Forge.Packages.Container.Demo;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Container.Cli;

/// <summary><c>packages container demo</c>: loads a small demo registry to try the cleanup on.</summary>
internal static class DemoCommand
{
    public static Command Build(IModuleCommandHost host)
    {
        var owner = new Option<string>("--owner") { Description = "The owner name of the demo images.", DefaultValueFactory = _ => "demo" };
        var ownerId = new Option<long>("--owner-id") { Description = "The owner id of the demo packages.", DefaultValueFactory = _ => 1 };
        var command = new Command("demo", "Load a small demo registry: re-pushed tags, an abandoned mirror, a sync in progress, a nested index. Then try 'cleanup-sha256 --dry-run'.");
        command.Options.Add(owner);
        command.Options.Add(ownerId);
        command.SetAction((parsed, token) => host.RunAsync(ContainerModule.ModuleName, async (services, cancellationToken) =>
        {
            var summary = await services.GetRequiredService<DemoRegistry>().LoadAsync(parsed.GetValue(ownerId), parsed.GetValue(owner)!, cancellationToken);
            foreach (var line in summary.Lines)
            {
                await host.Output.WriteLineAsync(line);
            }

            return ExitCodes.Success;
        }, token));
        return command;
    }
}
