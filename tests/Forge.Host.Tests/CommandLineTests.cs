using Forge.Modularity;
using Forge.Host.Hosting;
using Forge.Host.Tests.Support;

namespace Forge.Host.Tests;

/// <summary>The <c>forge</c> command line where it needs no database: usage, help, errors and <c>modules list</c>.</summary>
public sealed class CommandLineTests
{
    [Test]
    public async Task An_unknown_command_is_a_usage_error_on_one_line()
    {
        var result = await ForgeCli.RunAsync(new ForgeAppOptions(), "frobnicate");

        Assert.Multiple(() =>
        {
            ForgeCli.AssertUsageErrorNaming(result, "frobnicate");
            Assert.That(result.Output, Is.Empty);
        });
    }

    [TestCase("--help", "Forge: a self-hosted software forge")]
    [TestCase("run --help", "Start the host")]
    [TestCase("migrate --help", "Apply the schema migrations")]
    [TestCase("modules --help", "Inspect the modules this host knows")]
    [TestCase("modules list --help", "List the modules")]
    [TestCase("cron --help", "Inspect and run the cron tasks")]
    [TestCase("cron list --help", "List the cron tasks")]
    [TestCase("cron run --help", "Run one cron task now")]
    public async Task Help_prints_the_usage_of_the_command(string args, string description)
    {
        var result = await ForgeCli.RunAsync(new ForgeAppOptions(), args.Split(' '));

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success));
            Assert.That(result.Output, Does.Contain("Usage:").And.Contain(description));
            Assert.That(result.Error, Is.Empty);
        });
    }

    [Test]
    public async Task Modules_list_shows_every_real_module_enabled()
    {
        var result = await ForgeCli.RunAsync(new ForgeAppOptions(), "modules", "list");

        var rows = result.OutputLines.Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success));
            Assert.That(rows.Select(r => string.Join(' ', r[..2])), Is.EquivalentTo((string[])["Accounts yes", "Packages yes", "Packages.Container yes"]));
        });
    }

    [Test]
    public async Task A_configuration_error_is_a_usage_error_on_one_line_naming_the_key()
    {
        var options = new ForgeAppOptions { Settings = new Dictionary<string, string?> { ["Forge:Modules:Nope:Enabled"] = "true" } };

        var result = await ForgeCli.RunAsync(options, "modules", "list");

        ForgeCli.AssertUsageErrorNaming(result, "Forge:Modules:Nope");
    }
}
