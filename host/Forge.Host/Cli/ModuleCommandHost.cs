using System.CommandLine;
using Forge.Host.Hosting;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Host.Cli;

/// <summary>Runs a module's command inside a composed host, and hangs module commands into the tree.</summary>
internal sealed class ModuleCommandHost(ForgeAppOptions options, TextWriter output) : IModuleCommandHost
{
    private static readonly Dictionary<string, string> GroupDescriptions = new(StringComparer.Ordinal)
    {
        ["packages"] = "Package registries: cleanups and maintenance.",
        ["packages container"] = "Container images.",
        ["users"] = "User accounts: add users, set their passwords, list them, manage their access tokens.",
        ["users tokens"] = "A user's access tokens (Forgejo's): add one, list them, revoke one.",
    };

    public TextWriter Output => output;

    public async Task<int> RunAsync(string moduleName, Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        await using var app = await ForgeApp.CreateAsync(options, cancellationToken);
        if (!app.Modules.Any(m => string.Equals(m.Name, moduleName, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ForgeConfigurationException($"This command belongs to module '{moduleName}', which is not enabled: set Forge:Modules:{moduleName}:Enabled=true.");
        }

        await app.EnsureSchemaAsync(cancellationToken);
        await using var scope = app.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider, cancellationToken);
    }

    /// <summary>Adds every module's commands under their parent paths, creating the groups on the way.</summary>
    public void AddModuleCommands(RootCommand root)
    {
        foreach (var module in options.Catalog.Modules.OfType<IModuleCommands>())
        {
            foreach (var contributed in module.BuildCommands(this))
            {
                Command parent = root;
                var path = new List<string>();
                foreach (var name in contributed.ParentPath)
                {
                    path.Add(name);
                    var existing = parent.Subcommands.FirstOrDefault(c => c.Name == name);
                    if (existing is null)
                    {
                        existing = new Command(name, GroupDescriptions.GetValueOrDefault(string.Join(' ', path), $"Commands of {name}."));
                        parent.Subcommands.Add(existing);
                    }

                    parent = existing;
                }

                parent.Subcommands.Add(contributed.Command);
            }
        }
    }
}
