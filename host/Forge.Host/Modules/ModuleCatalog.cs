using Forge.Accounts;
using Forge.Modularity;
using Forge.Packages;
using Forge.Packages.Container;
using Microsoft.Extensions.Configuration;

namespace Forge.Host.Modules;

/// <summary>
/// The modules this host knows, listed explicitly: no assembly scanning, so what can run is what is
/// written here. <see cref="Resolve"/> picks the enabled ones and orders them so that every module is
/// registered after the modules it needs.
/// </summary>
public sealed class ModuleCatalog
{
    public ModuleCatalog(IEnumerable<IModule> modules)
    {
        Modules = modules.ToList();
        var duplicate = Modules.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"The module catalog lists '{duplicate.Key}' twice.", nameof(modules));
        }
    }

    public static ModuleCatalog Default => new([new AccountsModule(), new PackagesModule(), new ContainerModule()]);

    public IReadOnlyList<IModule> Modules { get; }

    /// <summary>
    /// The enabled modules in dependency order. Throws <see cref="ForgeConfigurationException"/> for a
    /// module name that is not in the catalog, a bad Enabled value, or an enabled module whose
    /// dependency is not enabled.
    /// </summary>
    public IReadOnlyList<IModule> Resolve(IConfiguration configuration)
    {
        var section = configuration.GetSection("Forge:Modules");
        foreach (var configured in section.GetChildren())
        {
            if (Find(configured.Key) is null)
            {
                throw new ForgeConfigurationException(
                    $"Forge:Modules:{configured.Key}: there is no module named '{configured.Key}' " +
                    $"(known modules: {string.Join(", ", Modules.Select(m => m.Name))}).");
            }
        }

        var enabled = Modules.Where(m => IsEnabled(section, m)).ToList();
        foreach (var module in enabled)
        {
            foreach (var dependency in module.Dependencies)
            {
                if (!enabled.Any(m => string.Equals(m.Name, dependency, StringComparison.OrdinalIgnoreCase)))
                {
                    var known = Find(dependency) is not null;
                    throw new ForgeConfigurationException(known
                        ? $"Module '{module.Name}' needs module '{dependency}', which is not enabled: set Forge:Modules:{dependency}:Enabled=true or disable '{module.Name}'."
                        : $"Module '{module.Name}' needs module '{dependency}', which this host does not have.");
                }
            }
        }

        return Order(enabled);
    }

    public IModule? Find(string name)
        => Modules.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    public static bool IsEnabled(IConfigurationSection modulesSection, IModule module)
    {
        var value = modulesSection[$"{module.Name}:Enabled"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        return bool.TryParse(value.Trim(), out var enabled)
            ? enabled
            : throw new ForgeConfigurationException(
                $"Forge:Modules:{module.Name}:Enabled is '{value}': it must be true or false.");
    }

    private static List<IModule> Order(List<IModule> enabled)
    {
        var ordered = new List<IModule>();
        var visiting = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        void Visit(IModule module)
        {
            if (ordered.Contains(module))
            {
                return;
            }

            if (!visiting.Add(module.Name))
            {
                throw new ForgeConfigurationException($"Modules depend on each other in a cycle through '{module.Name}'.");
            }

            foreach (var dependency in module.Dependencies)
            {
                Visit(enabled.First(m => string.Equals(m.Name, dependency, StringComparison.OrdinalIgnoreCase)));
            }

            visiting.Remove(module.Name);
            ordered.Add(module);
        }

        foreach (var module in enabled)
        {
            Visit(module);
        }

        return ordered;
    }
}
