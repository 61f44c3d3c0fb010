using Forge.Accounts;
using Forge.Host.Hosting;
using Forge.Host.Modules;
using Forge.Host.Tests.Support;
using Forge.Packages;
using Forge.Packages.Container;

namespace Forge.Host.Tests;

/// <summary>Which modules a host composes, from Forge:Modules, and in which order.</summary>
public sealed class ModuleCatalogTests
{
    [Test]
    public void The_default_configuration_enables_every_real_module()
    {
        var configuration = ForgeApp.LoadConfiguration(new ForgeAppOptions());

        var enabled = ModuleCatalog.Default.Resolve(configuration);

        Assert.That(enabled.Select(m => m.Name), Is.EqualTo((string[])[AccountsModule.ModuleName, PackagesModule.ModuleName, ContainerModule.ModuleName]));
    }

    [Test]
    public void An_unknown_module_name_stops_with_a_message_naming_it()
    {
        var configuration = InMemoryConfiguration.From(("Forge:Modules:Nope:Enabled", "true"));

        Assert.That(() => ModuleCatalog.Default.Resolve(configuration), Throws.TypeOf<ForgeConfigurationException>()
            .With.Message.Contains("Forge:Modules:Nope").And.Message.Contains("known modules: Accounts, Packages, Packages.Container"));
    }

    [Test]
    public void The_container_module_without_packages_stops_with_a_message_naming_both()
    {
        var configuration = ForgeApp.LoadConfiguration(new ForgeAppOptions
        {
            Settings = new Dictionary<string, string?> { ["Forge:Modules:Packages:Enabled"] = "false" },
        });

        Assert.That(() => ModuleCatalog.Default.Resolve(configuration), Throws.TypeOf<ForgeConfigurationException>()
            .With.Message.Contains("'Packages.Container'").And.Message.Contains("'Packages'"));
    }

    [Test]
    public void A_module_is_ordered_after_the_modules_it_needs()
    {
        var catalog = new ModuleCatalog(
        [
            new TestModule("Web", ["Auth", "Storage"]),
            new TestModule("Auth", ["Storage"]),
            new TestModule("Storage"),
        ]);
        var configuration = InMemoryConfiguration.From(
            ("Forge:Modules:Web:Enabled", "true"), ("Forge:Modules:Auth:Enabled", "true"), ("Forge:Modules:Storage:Enabled", "true"));

        var enabled = catalog.Resolve(configuration);

        Assert.That(enabled.Select(m => m.Name), Is.EqualTo((string[])["Storage", "Auth", "Web"]));
    }

    [Test]
    public void A_bad_Enabled_value_stops_with_a_message_naming_the_key_and_the_value()
    {
        var configuration = InMemoryConfiguration.From(("Forge:Modules:Packages:Enabled", "yes"));

        Assert.That(() => ModuleCatalog.Default.Resolve(configuration), Throws.TypeOf<ForgeConfigurationException>()
            .With.Message.Contains("Forge:Modules:Packages:Enabled is 'yes'"));
    }
}
