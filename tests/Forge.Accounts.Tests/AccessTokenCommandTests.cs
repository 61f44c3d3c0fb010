using System.Text.Json;
using Forge.Modularity;
using Forge.Testing;
using Forge.Tooling;

namespace Forge.Accounts.Tests;

/// <summary>
/// <c>forge users tokens add|list|revoke</c> run as the built program: the token printed once and stored as
/// Forgejo stores it, the refusals (one line, exit code 2, nothing written), and that nothing else ever shows it.
/// </summary>
[NonParallelizable]
public sealed class AccessTokenCommandTests
{
    private const string Password = "correct horse battery";

    private TestDatabase database = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        Assert.That((await ForgeAsync(Password, "users", "add", "alice")).ExitCode, Is.EqualTo(ExitCodes.Success));
    }

    [TearDown]
    public async Task DropDatabase() => await database.DisposeAsync();

    [Test]
    public async Task Add_prints_the_token_once_and_stores_only_its_hash()
    {
        var result = await ForgeAsync(null, "users", "tokens", "add", "ALICE", "--name", "ci", "--scope", "write:package");

        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var token = lines[^1];
        var row = await database.ScalarAsync<string>("SELECT concat_ws(' ', uid, name, token_hash, token_salt, token_last_eight, scope) FROM access_token");
        var columns = row!.Split(' ');
        Assert.Multiple(async () =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Errors);
            Assert.That(lines[0], Is.EqualTo("Added token 'ci' (write:package, does not expire) to user alice. It is shown this once:"));
            Assert.That(token, Does.Match("^[0-9a-f]{40}$"));
            Assert.That(columns[..2], Is.EqualTo((string[])["1", "ci"]));
            Assert.That(columns[4..], Is.EqualTo((string[])[token[^8..], "write:package"]));
            Assert.That(AccessTokenHash.Verify(token, columns[3], columns[2]), Is.True);
            Assert.That(row, Does.Not.Contain(token));
            Assert.That(await database.ScalarAsync<long>("SELECT count(*) FROM forge_access_token_expiry"), Is.Zero);
        });
    }

    [Test]
    public async Task Add_with_an_expiry_and_json_prints_one_object_with_the_token_and_stores_the_expiry()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var result = await ForgeAsync(null, "users", "tokens", "add", "alice", "--name", "pull", "--scope", "read:package", "--expires", "90d", "--json");

        using var document = JsonDocument.Parse(result.Output);
        var json = document.RootElement;
        var expires = await database.ScalarAsync<long>("SELECT expires_unix FROM forge_access_token_expiry");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Errors);
            Assert.That(json.GetProperty("user").GetString(), Is.EqualTo("alice"));
            Assert.That(json.GetProperty("name").GetString(), Is.EqualTo("pull"));
            Assert.That(json.GetProperty("scope").GetString(), Is.EqualTo("read:package"));
            Assert.That(json.GetProperty("token").GetString(), Does.Match("^[0-9a-f]{40}$"));
            Assert.That(expires - before, Is.InRange(90 * ForgeTestWorld.Day, (90 * ForgeTestWorld.Day) + 120));
            Assert.That(json.GetProperty("expires").GetString(), Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(expires).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        });
    }

    [Test]
    public async Task A_name_the_user_s_tokens_have_is_refused_and_nothing_is_written()
    {
        await ForgeAsync(null, "users", "tokens", "add", "alice", "--name", "ci", "--scope", "write:package");
        var before = await SnapshotAsync();

        var result = await ForgeAsync(null, "users", "tokens", "add", "alice", "--name", "ci", "--scope", "read:package");

        AssertRefused(result, "has a token named 'ci' already");
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [TestCase("--scope", "read:repository", "--scope 'read:repository'")]
    [TestCase("--scope", "all", "--scope 'all'")]
    [TestCase("--expires", "90", "--expires: '90' is not a lifetime")]
    [TestCase("--expires", "3651d", "--expires: '3651d' is out of range")]
    [TestCase("--expires", "0m", "--expires: '0m' is out of range")]
    [TestCase("--name", " ", "--name: the token name is empty")]
    public async Task A_bad_option_is_refused_naming_it_and_nothing_is_written(string option, string value, string fault)
    {
        string[] args = ["users", "tokens", "add", "alice", "--name", "ci", "--scope", "read:package"];
        var index = Array.IndexOf(args, option);
        var result = await ForgeAsync(null, index < 0 ? [.. args, option, value] : [.. args[..(index + 1)], value, .. args[(index + 2)..]]);

        AssertRefused(result, fault);
        Assert.That(await SnapshotAsync(), Is.EqualTo("0"));
    }

    [Test]
    public async Task The_commands_refuse_an_unknown_user()
    {
        var add = await ForgeAsync(null, "users", "tokens", "add", "nobody", "--name", "ci", "--scope", "read:package");
        var list = await ForgeAsync(null, "users", "tokens", "list", "nobody");

        AssertRefused(add, "there is no user named 'nobody'");
        AssertRefused(list, "there is no user named 'nobody'");
    }

    [Test]
    public async Task List_shows_the_tokens_without_their_secrets_and_revoke_removes_one()
    {
        var ci = await ForgeAsync(null, "users", "tokens", "add", "alice", "--name", "ci", "--scope", "write:package", "--json");
        await ForgeAsync(null, "users", "tokens", "add", "alice", "--name", "pull", "--scope", "read:package", "--expires", "12h");
        using var added = JsonDocument.Parse(ci.Output);
        var token = added.RootElement.GetProperty("token").GetString()!;
        // A use a minute after it was made, as the registry records it.
        await database.ExecuteAsync("UPDATE access_token SET updated_unix = created_unix + 60 WHERE name = 'ci'");
        var secrets = await database.ColumnAsync("SELECT token_hash FROM access_token UNION ALL SELECT token_salt FROM access_token");

        var table = await ForgeAsync(null, "users", "tokens", "list", "alice");
        var json = await ForgeAsync(null, "users", "tokens", "list", "alice", "--json");
        var revoke = await ForgeAsync(null, "users", "tokens", "revoke", "alice", "ci");
        var after = await ForgeAsync(null, "users", "tokens", "list", "alice", "--json");

        var rows = table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var listed = JsonDocument.Parse(json.Output);
        var first = listed.RootElement[0];
        using var remaining = JsonDocument.Parse(after.Output);
        Assert.Multiple(() =>
        {
            Assert.That(table.ExitCode, Is.EqualTo(ExitCodes.Success), table.Errors);
            Assert.That(rows[0], Does.Match("^NAME +SCOPES +LAST EIGHT +CREATED +EXPIRES +LAST USED$"));
            Assert.That(rows[1], Does.Match($@"^ci +write:package +{token[^8..]} +\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ +never +\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"));
            Assert.That(rows[2], Does.Match(@"^pull +read:package +[0-9a-f]{8} +\S+Z +\S+Z +never$"));
            Assert.That(listed.RootElement.GetArrayLength(), Is.EqualTo(2));
            Assert.That(first.GetProperty("name").GetString(), Is.EqualTo("ci"));
            Assert.That(first.GetProperty("lastEight").GetString(), Is.EqualTo(token[^8..]));
            Assert.That(first.GetProperty("expires").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(first.GetProperty("lastUsed").GetString(), Does.EndWith("Z"));
            Assert.That(table.Output + json.Output, Does.Not.Contain(token));
            Assert.That(secrets, Has.None.Matches<string>(s => (table.Output + json.Output).Contains(s, StringComparison.Ordinal)));
            Assert.That(revoke.ExitCode, Is.EqualTo(ExitCodes.Success), revoke.Errors);
            Assert.That(revoke.Output, Is.EqualTo("Revoked token 'ci' of user alice.\n"));
            Assert.That(remaining.RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()), Is.EqualTo((string[])["pull"]));
        });
    }

    [Test]
    public async Task Revoking_a_token_the_user_does_not_have_is_refused()
    {
        await ForgeAsync(null, "users", "tokens", "add", "alice", "--name", "ci", "--scope", "write:package");
        var before = await SnapshotAsync();

        var result = await ForgeAsync(null, "users", "tokens", "revoke", "alice", "deploy");

        AssertRefused(result, "user alice has no token named 'deploy'");
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task List_of_no_tokens_says_how_to_add_one()
    {
        var table = await ForgeAsync(null, "users", "tokens", "list", "alice");
        var json = await ForgeAsync(null, "users", "tokens", "list", "alice", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(table.Output, Does.Contain("forge users tokens add alice"));
            Assert.That(json.Output.Trim(), Is.EqualTo("[]"));
        });
    }

    [Test]
    public async Task The_help_of_add_states_the_expiry_syntax_and_the_scopes()
    {
        var help = await ForgeAsync(null, "users", "tokens", "add", "--help");

        Assert.That(help.Output, Does.Contain("90d").And.Contain("3650d").And.Contain("read:package").And.Contain("write:package"));
    }

    private static void AssertRefused(ChildProcessResult result, string fault, string secret = "") => ForgeCommandRuns.AssertRefused(result, fault, secret);

    private Task<ChildProcessResult> ForgeAsync(string? stdin, params string[] args) => ForgeCommandRuns.RunAsync(database, stdin, args);

    /// <summary>Every token row and expiry (the count alone when there are none).</summary>
    private async Task<string> SnapshotAsync()
        => await database.ScalarAsync<string>(
            """
            SELECT count(*) || coalesce(' ' || string_agg(concat_ws(',', t.id, t.uid, t.name, t.token_hash, t.scope, t.updated_unix, e.expires_unix), ' '), '')
            FROM access_token t LEFT JOIN forge_access_token_expiry e ON e.access_token_id = t.id
            """) ?? string.Empty;
}
