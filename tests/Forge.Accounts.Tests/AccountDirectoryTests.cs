using Forge.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Forge.Accounts.Tests;

/// <summary>The directory the registry authenticates with, over a real database.</summary>
[NonParallelizable]
public sealed class AccountDirectoryTests
{
    private const string Password = "correct horse battery";

    private ForgeTestWorld world = null!;
    private AccountStore store = null!;
    private ManualClock clock = null!;
    private VerificationCache cache = null!;
    private FakeLogger<AccountDirectory> logger = null!;
    private SignInRig rig = null!;
    private AccountDirectory directory = null!;

    [SetUp]
    public async Task CreateWorld()
    {
        world = await ForgeTestWorld.CreateAsync();
        store = world.Service<AccountStore>();
        clock = new ManualClock();
        cache = new VerificationCache(clock);
        logger = new FakeLogger<AccountDirectory>();
        rig = new SignInRig(SignInLimitSettings.Default, clock);
        directory = new AccountDirectory(store, cache, rig.Guard, new AccessTokenVerifier(new AccessTokenStore(world.Service<Npgsql.NpgsqlDataSource>(), clock), cache, clock), logger);
    }

    [TearDown]
    public async Task DisposeWorld()
    {
        rig.Dispose();
        await world.DisposeAsync();
    }

    [Test]
    public async Task The_module_registers_one_directory_for_the_whole_host()
    {
        var alice = await AddAsync("alice", Password);

        var first = world.Service<IAccountDirectory>();
        var verified = await first.VerifyAsync("alice", Password, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(world.Service<IAccountDirectory>(), Is.SameAs(first));
            Assert.That(verified, Is.EqualTo(alice));
        });
    }

    [Test]
    public async Task The_right_password_verifies_and_gives_the_account()
    {
        var alice = await AddAsync("alice", Password);

        var verified = await directory.VerifyAsync("alice", Password, CancellationToken.None);

        Assert.That(verified, Is.EqualTo(alice));
    }

    [Test]
    public async Task A_wrong_password_gives_nothing_and_is_not_remembered()
    {
        await AddAsync("alice", Password);

        var verified = await directory.VerifyAsync("alice", "correct horse batterY", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(verified, Is.Null);
            Assert.That(cache.Count, Is.Zero);
        });
    }

    [Test]
    public async Task An_unknown_name_gives_nothing()
    {
        await AddAsync("alice", Password);

        Assert.Multiple(async () =>
        {
            Assert.That(await directory.VerifyAsync("bob", Password, CancellationToken.None), Is.Null);
            Assert.That(await directory.FindAsync("bob", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task Names_are_found_and_verified_in_any_letter_case()
    {
        var alice = await AddAsync("alice", Password);

        Assert.Multiple(async () =>
        {
            Assert.That(await directory.FindAsync("ALICE", CancellationToken.None), Is.EqualTo(alice));
            Assert.That(await directory.VerifyAsync("Alice", Password, CancellationToken.None), Is.EqualTo(alice));
        });
    }

    [Test]
    public async Task Two_users_with_one_password_have_different_salts_and_hashes()
    {
        await AddAsync("alice", Password);
        await AddAsync("bob", Password);

        var rows = await world.Database.ColumnAsync("""SELECT passwd || ' ' || salt FROM "user" ORDER BY id""");

        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(2));
            Assert.That(rows[0].Split(' '), Has.None.AnyOf(rows[1].Split(' ')));
            Assert.That(rows, Has.None.Contains(Password));
        });
    }

    [Test]
    public async Task A_repeated_verification_is_answered_from_memory_while_the_stored_hash_is_unchanged()
    {
        await AddAsync("alice", Password);
        await directory.VerifyAsync("alice", Password, CancellationToken.None);
        // A new salt with the same passwd: PBKDF2 would now fail, so a success can only come from memory.
        await world.ExecuteAsync("""UPDATE "user" SET salt = '0123456789abcdef0123456789abcdef'""");

        var remembered = await directory.VerifyAsync("alice", Password, CancellationToken.None);
        clock.Advance(VerificationCache.Lifetime);
        var expired = await directory.VerifyAsync("alice", Password, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(remembered, Is.Not.Null);
            Assert.That(expired, Is.Null, "after five minutes the password is checked again");
        });
    }

    [Test]
    public async Task A_new_password_takes_effect_at_once_despite_the_remembered_verification()
    {
        var alice = await AddAsync("alice", Password);
        Assert.That(await directory.VerifyAsync("alice", Password, CancellationToken.None), Is.EqualTo(alice));

        await store.SetPasswordAsync("alice", PasswordHash.Create("a new password"), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await directory.VerifyAsync("alice", Password, CancellationToken.None), Is.Null);
            Assert.That(await directory.VerifyAsync("alice", "a new password", CancellationToken.None), Is.EqualTo(alice));
        });
    }

    [Test]
    public async Task A_deleted_user_is_refused_at_once_despite_the_remembered_verification()
    {
        await AddAsync("alice", Password);
        await directory.VerifyAsync("alice", Password, CancellationToken.None);

        await world.ExecuteAsync("""DELETE FROM "user" """);

        Assert.That(await directory.VerifyAsync("alice", Password, CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task A_user_recreated_with_the_same_password_is_verified_afresh_as_the_new_account()
    {
        await AddAsync("alice", Password);
        await directory.VerifyAsync("alice", Password, CancellationToken.None);
        await world.ExecuteAsync("""DELETE FROM "user" """);

        var again = await AddAsync("alice", Password);

        Assert.That(await directory.VerifyAsync("alice", Password, CancellationToken.None), Is.EqualTo(again));
    }

    [Test]
    public async Task A_password_of_an_unknown_algorithm_is_refused_with_a_warning_naming_the_user_and_the_algorithm()
    {
        await AddAsync("alice", Password);
        await world.ExecuteAsync("""UPDATE "user" SET passwd_hash_algo = 'argon2'""");

        var verified = await directory.VerifyAsync("alice", Password, CancellationToken.None);

        var warnings = logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Message).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(verified, Is.Null);
            Assert.That(warnings, Has.Count.EqualTo(1));
            Assert.That(warnings, Has.All.Contains("alice").And.All.Contains("argon2").And.None.Contains(Password));
        });
    }

    private async Task<Account> AddAsync(string name, string password)
        => await store.AddAsync(name, PasswordHash.Create(password), CancellationToken.None)
            ?? throw new InvalidOperationException($"{name} exists already");
}
