using System.Text.Json;
using Forge.Modularity;
using Forge.Testing;
using Forge.Tooling;

namespace Forge.Accounts.Tests;

/// <summary>
/// <c>forge users add|passwd|list</c> run as the built program, the password fed on standard input: what
/// they print, what they write, and that bad input writes nothing and never echoes the password.
/// </summary>
[NonParallelizable]
public sealed class UsersCommandTests
{
    private const string Password = "correct horse battery";

    private TestDatabase database = null!;

    [SetUp]
    public async Task CreateDatabase() => database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase() => await database.DisposeAsync();

    [Test]
    public async Task Add_stores_a_salted_hash_and_says_which_user_it_added()
    {
        var result = await ForgeAsync(Password + "\n", "users", "add", "alice");

        var row = await RowAsync("alice");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Errors);
            Assert.That(result.Output, Is.EqualTo("Added user alice (id 1).\n"));
            Assert.That(row, Is.Not.Null);
            Assert.That(row!.Password.Algorithm, Is.EqualTo(PasswordHash.Algorithm));
            Assert.That(PasswordHash.Verify(Password, row.Password), Is.True);
            Assert.That(result.Output + result.Errors, Does.Not.Contain(Password));
        });
    }

    [Test]
    public async Task Add_with_json_prints_the_id_and_the_name()
    {
        var result = await ForgeAsync(Password, "users", "add", "alice", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Errors);
            Assert.That(result.Output.Trim(), Is.EqualTo("""{"id":1,"name":"alice"}"""));
        });
    }

    [Test]
    public async Task The_password_is_the_first_line_without_its_line_ending()
    {
        await ForgeAsync("a password with CRLF\r\nsecond line\n", "users", "add", "alice");

        var row = await RowAsync("alice");
        Assert.Multiple(() =>
        {
            Assert.That(PasswordHash.Verify("a password with CRLF", row!.Password), Is.True);
            Assert.That(PasswordHash.Verify("a password with CRLF\r", row.Password), Is.False);
        });
    }

    [Test]
    public async Task Adding_a_taken_name_is_refused_and_leaves_the_user_as_it_was()
    {
        await ForgeAsync(Password, "users", "add", "alice");
        var before = await SnapshotAsync();

        var result = await ForgeAsync("another password", "users", "add", "alice");

        AssertRefused(result, "'alice'", "another password");
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
        // A refused name uses up no id.
        Assert.That((await ForgeAsync(Password, "users", "add", "bob")).Output, Does.Contain("(id 2)"));
    }

    [TestCase("Alice", "lower case")]
    [TestCase("-alice", "not valid")]
    [TestCase("alice-", "not valid")]
    [TestCase("a..b", "not valid")]
    [TestCase("al ice", "not valid")]
    [TestCase("alice/app", "not valid")]
    [TestCase("0123456789012345678901234567890123456789x", "at most 40")]
    [TestCase("", "empty")]
    [TestCase("api", "reserved")]
    [TestCase("alice.keys", "'*.keys'")]
    public async Task A_bad_name_is_refused_and_nothing_is_written(string name, string reason)
    {
        var result = await ForgeAsync(Password, "users", "add", name);

        AssertRefused(result, reason, Password);
        Assert.That(await SnapshotAsync(), Is.EqualTo("0"));
    }

    [TestCase("pw1234\n", "too short")]
    [TestCase("\n", "too short")]
    [TestCase("eight ch\0rs and more\n", "NUL")]
    [TestCase("", "no password")]
    public async Task A_bad_or_missing_password_is_refused_without_echoing_it_and_nothing_is_written(string stdin, string reason)
    {
        var result = await ForgeAsync(stdin, "users", "add", "alice");

        AssertRefused(result, reason, stdin.TrimEnd('\n'));
        Assert.That(await SnapshotAsync(), Is.EqualTo("0"));
    }

    [Test]
    public async Task A_password_longer_than_1024_characters_is_refused()
    {
        var result = await ForgeAsync(new string('p', 1025) + "\n", "users", "add", "alice");

        AssertRefused(result, "too long", new string('p', 20));
        Assert.That(await SnapshotAsync(), Is.EqualTo("0"));
    }

    [Test]
    public async Task Passwd_replaces_the_password_and_the_old_one_stops_verifying()
    {
        await ForgeAsync(Password, "users", "add", "alice");
        await database.ExecuteAsync("""UPDATE "user" SET created_unix = 1, updated_unix = 1""");

        var result = await ForgeAsync("a new password\n", "users", "passwd", "ALICE");

        var row = await RowAsync("alice");
        Assert.Multiple(async () =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Errors);
            Assert.That(result.Output, Is.EqualTo("Changed the password of user alice (id 1).\n"));
            Assert.That(PasswordHash.Verify("a new password", row!.Password), Is.True);
            Assert.That(PasswordHash.Verify(Password, row.Password), Is.False);
            Assert.That(await database.ScalarAsync<long>("""SELECT updated_unix FROM "user" """), Is.GreaterThan(1));
            Assert.That(await database.ScalarAsync<long>("""SELECT created_unix FROM "user" """), Is.EqualTo(1));
            Assert.That(result.Output + result.Errors, Does.Not.Contain("a new password"));
        });
    }

    [Test]
    public async Task Passwd_of_an_unknown_user_is_refused()
    {
        var result = await ForgeAsync(Password, "users", "passwd", "nobody");

        AssertRefused(result, "'nobody'", Password);
        Assert.That(await SnapshotAsync(), Is.EqualTo("0"));
    }

    [Test]
    public async Task Passwd_with_a_bad_password_leaves_the_user_as_it_was()
    {
        await ForgeAsync(Password, "users", "add", "alice");
        var before = await SnapshotAsync();

        var result = await ForgeAsync("pw1234", "users", "passwd", "alice");

        AssertRefused(result, "too short", "pw1234");
        Assert.That(await SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task List_shows_every_user_with_id_name_and_creation_time()
    {
        await ForgeAsync(Password, "users", "add", "alice");
        await ForgeAsync(Password, "users", "add", "bob");

        var table = await ForgeAsync(null, "users", "list");
        var json = await ForgeAsync(null, "users", "list", "--json");

        var rows = table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        using var document = JsonDocument.Parse(json.Output);
        var users = document.RootElement.EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(table.ExitCode, Is.EqualTo(ExitCodes.Success), table.Errors);
            Assert.That(rows.Select(r => string.Join(' ', r[..2])), Is.EqualTo((string[])["ID NAME", "1 alice", "2 bob"]));
            Assert.That(rows.Skip(1).Select(r => r[2]), Has.All.Match(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"));
            Assert.That(users.Select(u => $"{u.GetProperty("id").GetInt64()} {u.GetProperty("name").GetString()}"), Is.EqualTo((string[])["1 alice", "2 bob"]));
            Assert.That(users.Select(u => u.GetProperty("created").GetString()), Is.EqualTo(rows.Skip(1).Select(r => r[2])));
            Assert.That(table.Output + json.Output, Does.Not.Contain(Password));
        });
    }

    [Test]
    public async Task List_of_no_users_says_how_to_add_one()
    {
        var table = await ForgeAsync(null, "users", "list");
        var json = await ForgeAsync(null, "users", "list", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(table.Output, Does.Contain("forge users add"));
            Assert.That(json.Output.Trim(), Is.EqualTo("[]"));
        });
    }

    private static void AssertRefused(ChildProcessResult result, string fault, string secret = "") => ForgeCommandRuns.AssertRefused(result, fault, secret);

    private Task<ChildProcessResult> ForgeAsync(string? stdin, params string[] args) => ForgeCommandRuns.RunAsync(database, stdin, args);

    private async Task<AccountRow?> RowAsync(string name)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(database.ConnectionString);
        return await new AccountStore(dataSource, TimeProvider.System).FindAsync(name, CancellationToken.None);
    }

    /// <summary>Every row of <c>"user"</c>, to compare before and after (the count alone when there are none).</summary>
    private async Task<string> SnapshotAsync()
        => await database.ScalarAsync<string>("""SELECT count(*) || coalesce(' ' || string_agg(concat_ws(',', id, name, passwd, salt, updated_unix), ' '), '') FROM "user" """) ?? string.Empty;
}
