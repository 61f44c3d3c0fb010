using Forge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;

namespace Forge.Accounts.Tests;

/// <summary>
/// Access tokens through <see cref="IAccountDirectory"/>, over a real database: a token verifies for its own user
/// with its scope, and is refused at once when revoked, expired or of another scope.
/// </summary>
[NonParallelizable]
public sealed class AccessTokenVerificationTests
{
    private const string Password = "correct horse battery";

    private ForgeTestWorld world = null!;
    private AccountStore accounts = null!;
    private AccessTokenStore tokens = null!;
    private ManualClock clock = null!;
    private VerificationCache cache = null!;
    private AccountDirectory directory = null!;

    private SignInRig rig = null!;

    [SetUp]
    public async Task CreateWorld()
    {
        world = await ForgeTestWorld.CreateAsync();
        clock = new ManualClock();
        var dataSource = world.Service<NpgsqlDataSource>();
        accounts = new AccountStore(dataSource, clock);
        tokens = new AccessTokenStore(dataSource, clock);
        cache = new VerificationCache(clock);
        rig = new SignInRig(SignInLimitSettings.Default, clock);
        directory = new AccountDirectory(accounts, cache, rig.Guard, new AccessTokenVerifier(tokens, cache, clock), new FakeLogger<AccountDirectory>());
    }

    [TearDown]
    public async Task DisposeWorld()
    {
        rig.Dispose();
        await world.DisposeAsync();
    }

    [TestCase(AccessTokenScopes.WritePackage, PackageScope.Write)]
    [TestCase(AccessTokenScopes.ReadPackage, PackageScope.Read)]
    public async Task A_token_verifies_for_its_user_with_its_scope_and_its_id(string scope, PackageScope allowed)
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", scope);

        var verified = await directory.VerifyAsync("Alice", token.Token, AccountDirectoryCalls.TestAddress, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(verified.Outcome, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(verified.Credential, Is.EqualTo(new VerifiedCredential(alice, allowed, await TokenIdAsync("ci"))));
        });
    }

    [Test]
    public async Task A_token_is_refused_for_another_user_s_name()
    {
        var alice = await AddUserAsync("alice");
        await AddUserAsync("bob");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);

        Assert.Multiple(async () =>
        {
            Assert.That(await VerifyAsync("bob", token.Token), Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(await VerifyAsync("nobody", token.Token), Is.EqualTo(VerificationOutcome.Refused));
        });
    }

    [Test]
    public async Task A_wrong_token_is_refused_even_with_the_right_last_eight_characters()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);
        var wrong = (token.Token[0] == '0' ? "1" : "0") + token.Token[1..];

        Assert.Multiple(async () =>
        {
            Assert.That(await VerifyAsync("alice", wrong), Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(await VerifyAsync("alice", token.Token.ToUpperInvariant()), Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(cache.Count, Is.Zero);
        });
    }

    [Test]
    public async Task A_revoked_token_is_refused_at_once_though_its_verification_is_remembered()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);
        Assert.That(await VerifyAsync("alice", token.Token), Is.EqualTo(VerificationOutcome.Verified));
        var id = await TokenIdAsync("ci");
        Assert.That(await directory.IsAccessTokenValidAsync(id, CancellationToken.None), Is.True);

        Assert.That(await tokens.RevokeAsync(alice.Id, "ci", CancellationToken.None), Is.True);

        Assert.Multiple(async () =>
        {
            Assert.That(cache.Count, Is.EqualTo(1), "the verification is still remembered");
            Assert.That(await VerifyAsync("alice", token.Token), Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(await directory.IsAccessTokenValidAsync(id, CancellationToken.None), Is.False);
            Assert.That(await world.CountAsync("SELECT count(*) FROM forge_access_token_expiry"), Is.Zero);
        });
    }

    [Test]
    public async Task A_repeated_verification_is_answered_from_memory_while_the_token_s_row_is_unchanged()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);
        await VerifyAsync("alice", token.Token);
        // Another salt with the same hash: PBKDF2 would now fail, so a success can only come from memory.
        await world.ExecuteAsync("UPDATE access_token SET token_salt = 'another salt'");

        var remembered = await VerifyAsync("alice", token.Token);
        clock.Advance(VerificationCache.Lifetime);
        var forgotten = await VerifyAsync("alice", token.Token);

        Assert.Multiple(() =>
        {
            Assert.That(remembered, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(forgotten, Is.EqualTo(VerificationOutcome.Refused), "after five minutes the token is checked again");
        });
    }

    [Test]
    public async Task A_regenerated_token_is_refused_though_its_verification_is_remembered()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);
        await VerifyAsync("alice", token.Token);
        // Forgejo's "regenerate" keeps the row and its id, with a new token, salt and hash.
        var renewed = AccessTokenHash.Create();
        await world.ExecuteAsync("UPDATE access_token SET token_hash = $1, token_salt = $2, token_last_eight = $3", renewed.Hash, renewed.Salt, renewed.LastEight);

        Assert.Multiple(async () =>
        {
            Assert.That(await VerifyAsync("alice", token.Token), Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(await VerifyAsync("alice", renewed.Token), Is.EqualTo(VerificationOutcome.Verified));
        });
    }

    [Test]
    public async Task An_expired_token_is_refused_and_is_no_longer_valid()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage, TimeSpan.FromHours(1));
        var id = await TokenIdAsync("ci");
        var before = await VerifyAsync("alice", token.Token);
        var validBefore = await directory.IsAccessTokenValidAsync(id, CancellationToken.None);

        clock.Advance(TimeSpan.FromHours(1));

        Assert.Multiple(async () =>
        {
            Assert.That(before, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(validBefore, Is.True);
            Assert.That(await VerifyAsync("alice", token.Token), Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(await directory.IsAccessTokenValidAsync(id, CancellationToken.None), Is.False);
        });
    }

    [Test]
    public async Task An_unknown_token_id_is_not_valid()
        => Assert.That(await directory.IsAccessTokenValidAsync(12345, CancellationToken.None), Is.False);

    [TestCase("all", VerificationOutcome.Verified)]
    [TestCase("read:repository", VerificationOutcome.Refused)]
    [TestCase("write:repository,read:user", VerificationOutcome.Refused)]
    public async Task A_row_written_the_way_Forgejo_writes_it_verifies_by_its_scope(string scope, VerificationOutcome outcome)
    {
        var alice = await AddUserAsync("alice");
        // Forgejo's own row for this token (hash computed outside .NET, see AccessTokenHashTests), inserted as
        // Forgejo inserts it: no expiry row, created_unix = updated_unix.
        const string token = "8d4f1c0b9a7e6d5c4b3a29180f7e6d5c4b3a2918";
        await world.ExecuteAsync(
            """
            INSERT INTO access_token (uid, name, token_hash, token_salt, token_last_eight, scope, created_unix, updated_unix, resource_all_repos)
            VALUES ($1, 'from forgejo', 'a09255acc4fb0ed9f50c57dd70150f0fcd46ca4ce00a6d24f3f32083526f1ae0bee29aa2c92bf43319fd227d2272cb3ca781',
                    'Qx3_vZ-8kLm2NpR4sT6uWy', '4b3a2918', $2, 1700000000, 1700000000, TRUE)
            """,
            alice.Id,
            scope);

        var verified = await directory.VerifyAsync("alice", token, AccountDirectoryCalls.TestAddress, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(verified.Outcome, Is.EqualTo(outcome));
            Assert.That(verified.Credential?.Packages, Is.EqualTo(outcome == VerificationOutcome.Verified ? PackageScope.Write : (PackageScope?)null));
        });
    }

    [Test]
    public async Task A_token_Forgejo_limits_to_some_repositories_gets_nothing_with_packages()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);
        await world.ExecuteAsync("UPDATE access_token SET resource_all_repos = FALSE");

        Assert.That(await VerifyAsync("alice", token.Token), Is.EqualTo(VerificationOutcome.Refused));
    }

    [Test]
    public async Task A_token_Forge_made_is_a_row_Forgejo_verifies()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.ReadPackage);

        var row = await world.ScalarAsync<string>(
            "SELECT concat_ws(' ', uid, name, token_hash, token_salt, token_last_eight, scope, created_unix = updated_unix, resource_all_repos) FROM access_token");

        // Forgejo looks a token up by its last eight characters and compares HashToken(token, token_salt) with token_hash.
        var columns = row!.Split(' ');
        Assert.Multiple(() =>
        {
            Assert.That(columns, Is.EqualTo((string[])[alice.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "ci", token.Hash, token.Salt, token.Token[^8..], "read:package", "t", "t"]));
            Assert.That(AccessTokenHash.Verify(token.Token, columns[3], columns[2]), Is.True);
        });
    }

    [Test]
    public async Task A_password_still_verifies_with_write_access_and_no_token_id_even_when_shaped_like_a_token()
    {
        const string tokenShapedPassword = "0123456789abcdef0123456789abcdef01234567";
        var alice = await AddUserAsync("alice");
        await accounts.AddAsync("bob", PasswordHash.Create(tokenShapedPassword), CancellationToken.None);
        var bob = (await accounts.FindAsync("bob", CancellationToken.None))!.Account;
        await AddTokenAsync(alice, "ci", AccessTokenScopes.ReadPackage);
        await AddTokenAsync(bob, "ci", AccessTokenScopes.ReadPackage);

        var password = await directory.VerifyAsync("alice", Password, AccountDirectoryCalls.TestAddress, CancellationToken.None);
        var shaped = await directory.VerifyAsync("bob", tokenShapedPassword, AccountDirectoryCalls.TestAddress, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(password.Credential, Is.EqualTo(new VerifiedCredential(alice, PackageScope.Write, null)));
            Assert.That(shaped.Credential, Is.EqualTo(new VerifiedCredential(bob, PackageScope.Write, null)));
        });
    }

    [Test]
    public async Task A_use_is_recorded_in_updated_unix_at_most_once_a_minute()
    {
        var alice = await AddUserAsync("alice");
        var token = await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);
        var created = clock.GetUtcNow().ToUnixTimeSeconds();

        clock.Advance(TimeSpan.FromSeconds(90));
        await VerifyAsync("alice", token.Token);
        var first = await UpdatedAsync();
        clock.Advance(TimeSpan.FromSeconds(59));
        await VerifyAsync("alice", token.Token);
        var withinTheMinute = await UpdatedAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        await VerifyAsync("alice", token.Token);
        var aMinuteLater = await UpdatedAsync();

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(created + 90));
            Assert.That(withinTheMinute, Is.EqualTo(first));
            Assert.That(aMinuteLater, Is.EqualTo(first + 60));
        });
    }

    [Test]
    public async Task Adding_a_token_name_the_user_has_is_refused_and_writes_nothing()
    {
        var alice = await AddUserAsync("alice");
        var bob = await AddUserAsync("bob");
        await AddTokenAsync(alice, "ci", AccessTokenScopes.WritePackage);

        var again = await tokens.AddAsync(alice.Id, "ci", AccessTokenScopes.ReadPackage, AccessTokenHash.Create(), clock.GetUtcNow().AddDays(1), CancellationToken.None);
        var otherUser = await tokens.AddAsync(bob.Id, "ci", AccessTokenScopes.ReadPackage, AccessTokenHash.Create(), null, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(again, Is.False);
            Assert.That(otherUser, Is.True, "names are unique per user");
            Assert.That(await world.CountAsync("SELECT count(*) FROM access_token"), Is.EqualTo(2));
            Assert.That(await world.CountAsync("SELECT count(*) FROM forge_access_token_expiry"), Is.Zero);
        });
    }

    [Test]
    public async Task An_add_waits_for_another_add_to_the_same_user_and_then_sees_its_name()
    {
        var alice = await AddUserAsync("alice");
        // Another add in progress: it holds the user's row, as every add does, and has written its token, uncommitted.
        await using var other = await world.Service<NpgsqlDataSource>().OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("""SELECT 1 FROM "user" WHERE id = $1 FOR UPDATE""", other, transaction) { Parameters = { new() { Value = alice.Id } } })
        {
            await hold.ExecuteScalarAsync();
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO access_token (uid, name) VALUES ($1, 'ci')", other, transaction) { Parameters = { new() { Value = alice.Id } } })
        {
            await insert.ExecuteNonQueryAsync();
        }

        var adding = tokens.AddAsync(alice.Id, "ci", AccessTokenScopes.ReadPackage, AccessTokenHash.Create(), null, CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var waited = !adding.IsCompleted;
        await transaction.CommitAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(waited, Is.True, "the add waits for the user's row");
            Assert.That(await adding, Is.False, "and then sees the name taken");
            Assert.That(await world.CountAsync("SELECT count(*) FROM access_token"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task No_log_line_of_the_host_holds_a_token_or_its_hash()
    {
        var logs = new LogRecorder();
        await using var logged = await ForgeTestWorld.CreateAsync(services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(LogRecorder).FullName, null, LogLevel.Trace, null)));
        });
        var store = logged.Service<AccountStore>();
        var alice = (await store.AddAsync("alice", PasswordHash.Create(Password), CancellationToken.None))!;
        var token = AccessTokenHash.Create();
        await logged.Service<AccessTokenStore>().AddAsync(alice.Id, "ci", AccessTokenScopes.WritePackage, token, null, CancellationToken.None);
        var host = logged.Service<IAccountDirectory>();

        var verified = await host.VerifyAsync("alice", token.Token, AccountDirectoryCalls.TestAddress, CancellationToken.None);
        var wrong = await host.VerifyAsync("alice", AccessTokenHash.Create().Token, AccountDirectoryCalls.TestAddress, CancellationToken.None);
        await logged.ExecuteAsync("UPDATE \"user\" SET passwd_hash_algo = 'argon2'");
        await host.VerifyAsync("alice", token.Token[..^1] + "x", AccountDirectoryCalls.TestAddress, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(verified.Outcome, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(wrong.Outcome, Is.EqualTo(VerificationOutcome.Refused));
            Assert.That(logs.Text, Is.Not.Empty, "the recorder saw the host's log");
            Assert.That(logs.Text, Does.Not.Contain(token.Token).And.Not.Contain(token.Hash).And.Not.Contain(token.Salt));
        });
    }

    private async Task<Account> AddUserAsync(string name)
        => await accounts.AddAsync(name, PasswordHash.Create(Password), CancellationToken.None) ?? throw new InvalidOperationException($"{name} exists already");

    private async Task<NewAccessToken> AddTokenAsync(Account account, string name, string scope, TimeSpan? lifetime = null)
    {
        var token = AccessTokenHash.Create();
        Assert.That(await tokens.AddAsync(account.Id, name, scope, token, clock.GetUtcNow() + lifetime, CancellationToken.None), Is.True);
        return token;
    }

    private async Task<VerificationOutcome> VerifyAsync(string name, string secret)
        => (await directory.VerifyAsync(name, secret, AccountDirectoryCalls.TestAddress, CancellationToken.None)).Outcome;

    private async Task<long> TokenIdAsync(string name) => await world.ScalarAsync<long>("SELECT id FROM access_token WHERE name = $1", name);

    private async Task<long> UpdatedAsync() => await world.ScalarAsync<long>("SELECT updated_unix FROM access_token");
}
