using System.Text.Json;
using Forge.Accounts;
using Forge.Host.Cli;
using Forge.Host.Hosting;
using Forge.Modularity;
using Forge.Testing;

namespace Forge.Packages.Tests.Rules;

/// <summary><c>forge packages rules …</c> against a real PostgreSQL: what each command does, and each refusal.</summary>
[NonParallelizable]
public sealed class RulesCommandTests
{
    private const long Day = 86_400;

    private ForgeTestWorld w = null!;

    [SetUp]
    public async Task CreateWorld()
    {
        w = await ForgeTestWorld.CreateAsync();
        await w.Service<AccountStore>().AddAsync("alice", PasswordHash.Create("correct horse battery staple"), CancellationToken.None);
    }

    [TearDown]
    public async Task DropWorld() => await w.DisposeAsync();

    [Test]
    public async Task Add_prints_the_new_rule_s_id_and_list_shows_it_with_its_owner()
    {
        var (exit, output, _) = await CommandAsync("packages", "rules", "add", "alice", "--type", "container", "--keep-count", "3", "--keep-pattern", "v.*");
        var (_, listed, _) = await CommandAsync("packages", "rules", "list", "--json");

        using var json = JsonDocument.Parse(listed);
        var rule = json.RootElement.EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(ExitCodes.Success));
            Assert.That(long.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(rule.GetProperty("id").GetInt64()));
            Assert.That(rule.GetProperty("owner").GetString(), Is.EqualTo("alice"));
            Assert.That(rule.GetProperty("keepCount").GetInt32(), Is.EqualTo(3));
            Assert.That(rule.GetProperty("keepPattern").GetString(), Is.EqualTo("v.*"));
            Assert.That(rule.GetProperty("enabled").GetBoolean(), Is.True);
        });
    }

    [TestCase("--keep-pattern", "(", "--keep-pattern")]
    [TestCase("--remove-pattern", "a{2,1}", "--remove-pattern")]
    [TestCase("--keep-count", "-1", "--keep-count")]
    [TestCase("--remove-days", "40000", "--remove-days")]
    [TestCase("--type", "npm", "--type")]
    public async Task A_bad_value_is_refused_with_the_option_named_and_nothing_is_written(string option, string value, string named)
    {
        var arguments = new List<string> { "packages", "rules", "add", "alice" };
        if (option != "--type")
        {
            arguments.AddRange(["--type", "container"]);
        }

        arguments.AddRange([option, value]);
        var (exit, _, error) = await CommandAsync([.. arguments]);

        Assert.Multiple(async () =>
        {
            Assert.That(exit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(error, Does.Contain(named));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.Zero);
        });
    }

    [Test]
    public async Task A_second_rule_of_the_same_owner_and_type_is_refused_naming_the_first()
    {
        var (_, first, _) = await CommandAsync("packages", "rules", "add", "alice", "--type", "container");

        var (exit, _, error) = await CommandAsync("packages", "rules", "add", "alice", "--type", "container", "--keep-count", "2");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(error, Does.Contain($"rules set {first.Trim()}"));
        });
    }

    [Test]
    public async Task A_rule_for_an_unknown_owner_is_refused()
    {
        var (exit, _, error) = await CommandAsync("packages", "rules", "add", "bob", "--type", "container");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(error, Does.Contain("no account named 'bob'"));
        });
    }

    [Test]
    public async Task Set_changes_only_what_is_given_and_remove_removes()
    {
        var (_, id, _) = await CommandAsync("packages", "rules", "add", "alice", "--type", "container", "--keep-count", "3", "--keep-pattern", "v.*");
        id = id.Trim();

        var (setExit, _, _) = await CommandAsync("packages", "rules", "set", id, "--remove-days", "7", "--disabled");
        var after = await w.ScalarAsync<string>("SELECT keep_count || ' ' || keep_pattern || ' ' || remove_days || ' ' || enabled FROM package_cleanup_rule");
        var (removeExit, _, _) = await CommandAsync("packages", "rules", "remove", id);
        var (againExit, _, againError) = await CommandAsync("packages", "rules", "remove", id);

        Assert.Multiple(async () =>
        {
            Assert.That(setExit, Is.EqualTo(ExitCodes.Success));
            Assert.That(after, Is.EqualTo("3 v.* 7 false"));
            Assert.That(removeExit, Is.EqualTo(ExitCodes.Success));
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_cleanup_rule"), Is.Zero);
            Assert.That(againExit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(againError, Does.Contain($"there is no rule {id}"));
        });
    }

    [Test]
    public async Task Preview_lists_every_version_with_its_decision_and_removes_nothing_and_run_then_removes_it()
    {
        var (package, old) = await TagsAsync();
        var (_, id, _) = await CommandAsync("packages", "rules", "add", "alice", "--type", "container", "--keep-count", "1", "--disabled");
        id = id.Trim();

        var (previewExit, preview, _) = await CommandAsync("packages", "rules", "preview", id, "--json");
        var stillThere = await w.VersionExistsAsync(old);
        var (refusedExit, _, refused) = await CommandAsync("packages", "rules", "run", "--rule", id);
        await CommandAsync("packages", "rules", "set", id, "--enabled");
        var (runExit, run, _) = await CommandAsync("packages", "rules", "run", "--rule", id);

        using var json = JsonDocument.Parse(preview);
        var decisions = json.RootElement.GetProperty("rules")[0].GetProperty("versions").EnumerateArray()
            .ToDictionary(v => v.GetProperty("version").GetString()!, v => v.GetProperty("decision").GetString());
        Assert.Multiple(async () =>
        {
            Assert.That(previewExit, Is.EqualTo(ExitCodes.Success));
            Assert.That(decisions, Is.EquivalentTo(new Dictionary<string, string?> { ["latest"] = "latest", ["v2"] = "keep_count", ["v1"] = "removed" }));
            Assert.That(stillThere, Is.True);
            Assert.That(refusedExit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(refused, Does.Contain("disabled"));
            Assert.That(runExit, Is.EqualTo(ExitCodes.Success));
            Assert.That(run, Does.Contain("removed 1 of 3 version(s)"));
            Assert.That(await w.VersionExistsAsync(old), Is.False);
            Assert.That(await w.CountAsync("SELECT count(*) FROM package_version WHERE package_id = $1", package), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Preview_of_an_unknown_rule_and_of_the_default_rule_when_it_is_off_are_refused()
    {
        var (unknownExit, _, unknown) = await CommandAsync("packages", "rules", "preview", "42");
        var (defaultExit, _, fallback) = await CommandAsync("packages", "rules", "preview", "0");

        Assert.Multiple(() =>
        {
            Assert.That(unknownExit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(unknown, Does.Contain("there is no rule 42"));
            Assert.That(defaultExit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(fallback, Does.Contain("DefaultCleanupRule"));
        });
    }

    [Test]
    public async Task A_bad_default_rule_in_the_configuration_stops_the_command_with_its_key_named()
    {
        var (exit, _, error) = await CommandAsync(
            [("Forge:Packages:DefaultCleanupRule:Enabled", "true"), ("Forge:Packages:DefaultCleanupRule:KeepPattern", "(")], "packages", "rules", "list");

        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(error, Does.Contain("Forge:Packages:DefaultCleanupRule:KeepPattern"));
        });
    }

    /// <summary>alice's package with latest, v2 and v1 (oldest), all older than any window.</summary>
    private async Task<(long Package, long Oldest)> TagsAsync()
    {
        var alice = (await w.Service<IAccountDirectory>().FindAsync("alice", CancellationToken.None))!;
        var package = await w.PackageAsync("app", ownerId: alice.Id);
        var oldest = await w.VersionAsync(package, "v1", w.Now - (30 * Day), "{}");
        await w.VersionAsync(package, "v2", w.Now - (20 * Day), "{}");
        await w.VersionAsync(package, "latest", w.Now - (40 * Day), "{}");
        return (package, oldest);
    }

    private Task<(int Exit, string Output, string Error)> CommandAsync(params string[] args) => CommandAsync([], args);

    private async Task<(int Exit, string Output, string Error)> CommandAsync((string Key, string? Value)[] settings, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ForgeCommandLine.RunAsync(
            args,
            new ForgeAppOptions { Settings = ForgeSettings.For(w.Database.ConnectionString, [("Forge:Packages:StorePath", w.StorePath), .. settings]) },
            output,
            error);
        return (exit, output.ToString(), error.ToString());
    }
}
