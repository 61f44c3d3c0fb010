using Forge.Testing;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Forge.Accounts.Tests;

/// <summary>
/// The directory's verification behind the sign-in limiter, over a real database: budgets of failures per account and
/// per address, answers without PBKDF2 past them (derivations counted by the gate), remembered and shared verifications.
/// </summary>
[NonParallelizable]
public sealed class SignInLimitTests
{
    private const string Password = "correct horse battery";
    private const string Wrong = "correct horse batterY";
    private const string Attacker = "203.0.113.66";

    private ForgeTestWorld world = null!;
    private AccountStore store = null!;
    private ManualClock clock = null!;
    private VerificationCache cache = null!;
    private SignInRig rig = null!;
    private AccountDirectory directory = null!;

    [SetUp]
    public async Task CreateWorld()
    {
        world = await ForgeTestWorld.CreateAsync();
        store = world.Service<AccountStore>();
        await store.AddAsync("alice", PasswordHash.Create(Password), CancellationToken.None);
        clock = new ManualClock();
        cache = new VerificationCache(clock);
        Build(SignInRig.Small);
    }

    [TearDown]
    public async Task DisposeWorld()
    {
        rig.Dispose();
        await world.DisposeAsync();
    }

    [Test]
    public async Task Past_the_account_budget_even_the_right_password_is_throttled_without_a_derivation_until_a_try_comes_back()
    {
        using var throttled = new MetricCollector<long>(rig.MeterFactory, AccountsModule.TelemetryName, "forge.accounts.signin.throttled");
        using var failures = new MetricCollector<long>(rig.MeterFactory, AccountsModule.TelemetryName, "forge.accounts.signin.failures");
        var wrong = await TryAsync(3, "alice", Wrong, address: i => $"192.0.2.{i}");
        var derived = rig.Gate.Ran;

        var refused = await Verify("ALICE", Password, "192.0.2.200");
        var derivedWhenRefused = rig.Gate.Ran;
        clock.Advance(TimeSpan.FromSeconds(20));
        var again = await Verify("alice", Password, "192.0.2.200");

        Assert.Multiple(() =>
        {
            Assert.That(wrong, Has.All.EqualTo(CredentialVerification.Refused));
            Assert.That(refused, Is.EqualTo(CredentialVerification.Throttled(TimeSpan.FromSeconds(20))), "3 per minute: a try every 20 s; names in any case are one account");
            Assert.That(again.Outcome, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(derived, Is.EqualTo(3));
            Assert.That(derivedWhenRefused, Is.EqualTo(3), "the throttled try derived nothing");
            Assert.That(rig.Gate.Ran, Is.EqualTo(4));
            Assert.That(Sum(throttled, "account"), Is.EqualTo(1));
            Assert.That(Sum(throttled, "address") + Sum(throttled, "busy"), Is.Zero);
            Assert.That(failures.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Past_the_address_budget_every_name_from_that_address_is_throttled_and_other_addresses_are_not()
    {
        var sprayed = await TryAsync(5, i => $"guess{i}", Password, _ => Attacker);
        var derived = rig.Gate.Ran;

        var refused = await Verify("alice", Password, Attacker);
        var elsewhere = await Verify("alice", Password, "192.0.2.7");

        Assert.Multiple(() =>
        {
            Assert.That(sprayed, Has.All.EqualTo(CredentialVerification.Refused));
            Assert.That(refused, Is.EqualTo(CredentialVerification.Throttled(TimeSpan.FromSeconds(12))), "5 per minute: a try every 12 s");
            Assert.That(elsewhere.Outcome, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(rig.Gate.Ran, Is.EqualTo(derived + 1));
        });
    }

    [Test]
    public async Task A_successful_verification_does_not_count_against_the_budget()
    {
        var first = await TryAsync(2, "alice", Wrong, _ => Attacker);
        var right = await Verify("alice", Password, Attacker);
        cache = new VerificationCache(clock);
        Build(SignInRig.Small, rig.Limiter);
        var right2 = await Verify("alice", Password, Attacker);
        var third = await Verify("alice", Wrong, Attacker);
        var fourth = await Verify("alice", Wrong, Attacker);

        Assert.Multiple(() =>
        {
            Assert.That(first, Has.All.EqualTo(CredentialVerification.Refused));
            Assert.That(right.Outcome, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(right2.Outcome, Is.EqualTo(VerificationOutcome.Verified), "a fresh derivation, not remembered");
            Assert.That(third, Is.EqualTo(CredentialVerification.Refused), "the third failure is still within the budget of 3");
            Assert.That(fourth.Outcome, Is.EqualTo(VerificationOutcome.Throttled));
        });
    }

    [Test]
    public async Task A_remembered_verification_is_answered_while_the_account_is_throttled()
    {
        await Verify("alice", Password, "192.0.2.10");
        await TryAsync(3, "alice", Wrong, _ => Attacker);
        var derived = rig.Gate.Ran;

        var attacker = await Verify("alice", Wrong, Attacker);
        var user = await Verify("alice", Password, "192.0.2.10");

        Assert.Multiple(() =>
        {
            Assert.That(attacker.Outcome, Is.EqualTo(VerificationOutcome.Throttled));
            Assert.That(user.Outcome, Is.EqualTo(VerificationOutcome.Verified));
            Assert.That(rig.Gate.Ran, Is.EqualTo(derived));
        });
    }

    [Test]
    public async Task Identical_verifications_in_flight_share_one_derivation()
    {
        Build(SignInRig.Small with { PerAccount = 10, MaxConcurrentDerivations = 1 });
        using var release = new ManualResetEventSlim();
        var blocker = await VerificationGateTests.OccupyAsync(rig.Gate, release);

        var calls = Enumerable.Range(0, 6).Select(i => Verify("alice", Password, $"192.0.2.{i}")).ToList();
        await VerificationGateTests.WaitUntil(() => rig.Gate.Load.Waiting == 1 && rig.InFlight.Count == 1);
        var waitingWhileBlocked = rig.Gate.Load.Waiting;
        release.Set();
        var answers = await Task.WhenAll(calls);
        await blocker;

        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Credential?.Account.Name), Has.All.EqualTo("alice"));
            Assert.That(waitingWhileBlocked, Is.EqualTo(1), "one verification queued for six calls");
            Assert.That(rig.Gate.Ran, Is.EqualTo(2), "the blocker and one derivation");
            Assert.That(rig.InFlight.Count, Is.Zero);
        });
    }

    [Test]
    public async Task A_try_whose_caller_hangs_up_still_counts_when_its_verification_fails()
    {
        Build(SignInRig.Small with { MaxConcurrentDerivations = 1 });
        using var release = new ManualResetEventSlim();
        var blocker = await VerificationGateTests.OccupyAsync(rig.Gate, release);
        using var hangUp = new CancellationTokenSource();

        var abandoned = directory.VerifyAsync("alice", Wrong, Attacker, hangUp.Token);
        await VerificationGateTests.WaitUntil(() => rig.Gate.Load.Waiting == 1);
        await hangUp.CancelAsync();
        var cancelled = Assert.CatchAsync<OperationCanceledException>(async () => await abandoned);
        release.Set();
        await blocker;
        await VerificationGateTests.WaitUntil(() => rig.InFlight.Count == 0);
        var more = await TryAsync(2, "alice", Wrong, _ => Attacker);
        var next = await Verify("alice", Password, Attacker);

        Assert.Multiple(() =>
        {
            Assert.That(cancelled, Is.Not.Null);
            Assert.That(more, Has.All.EqualTo(CredentialVerification.Refused));
            Assert.That(next.Outcome, Is.EqualTo(VerificationOutcome.Throttled), "the abandoned wrong password was the first of 3 failures");
            Assert.That(rig.Gate.Ran, Is.EqualTo(4), "the blocker and 3 wrong passwords");
        });
    }

    [Test]
    public async Task A_full_queue_answers_throttled_for_one_second_without_a_derivation()
    {
        Build(SignInRig.Small with { MaxConcurrentDerivations = 1, MaxQueuedDerivations = 0 });
        using var release = new ManualResetEventSlim();
        var blocker = await VerificationGateTests.OccupyAsync(rig.Gate, release);

        var busy = await Verify("alice", Password, "192.0.2.1");
        release.Set();
        await blocker;
        var after = await Verify("alice", Password, "192.0.2.1");

        Assert.Multiple(() =>
        {
            Assert.That(busy, Is.EqualTo(CredentialVerification.Throttled(TimeSpan.FromSeconds(1))));
            Assert.That(after.Outcome, Is.EqualTo(VerificationOutcome.Verified), "a busy refusal is no failure");
            Assert.That(rig.Gate.Ran, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_throttled_answer_comes_after_the_pause_or_the_retry_after_if_sooner_and_a_hang_up_ends_it()
    {
        Build(SignInRig.Small with { PerAccount = 1, Window = TimeSpan.FromMilliseconds(1500), ThrottledPause = TimeSpan.FromHours(1) });
        await Verify("alice", Wrong, Attacker);
        using var hangUp = new CancellationTokenSource();

        // Retry-After 1.5 s, sooner than the hour's pause: the answer comes then (real time; the clock stands still).
        var sooner = await directory.VerifyAsync("alice", Wrong, Attacker, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Build(SignInRig.Small with { PerAccount = 1, Window = TimeSpan.FromHours(2), ThrottledPause = TimeSpan.FromHours(1) });
        await Verify("alice", Wrong, Attacker);
        var paused = directory.VerifyAsync("alice", Wrong, Attacker, hangUp.Token);
        await Task.Delay(200);
        var pendingAfterWhile = !paused.IsCompleted;
        await hangUp.CancelAsync();

        Assert.Multiple(() =>
        {
            Assert.That(sooner, Is.EqualTo(CredentialVerification.Throttled(TimeSpan.FromMilliseconds(1500))));
            Assert.That(pendingAfterWhile, Is.True, "an hour's pause");
            Assert.CatchAsync<OperationCanceledException>(async () => await paused);
        });
    }

    [Test]
    public async Task A_disabled_limiter_never_throttles()
    {
        Build(SignInRig.Small with { Enabled = false, PerAccount = 1, PerAddress = 1, MaxQueuedDerivations = 0 });

        var wrong = await TryAsync(4, "alice", Wrong, _ => Attacker);
        var right = await Verify("alice", Password, Attacker);

        Assert.Multiple(() =>
        {
            Assert.That(wrong, Has.All.EqualTo(CredentialVerification.Refused));
            Assert.That(right.Outcome, Is.EqualTo(VerificationOutcome.Verified));
        });
    }

    [Test]
    public async Task A_limit_warns_once_a_minute_naming_the_address_and_an_existing_account_but_never_an_unknown_name_or_a_secret()
    {
        Build(SignInRig.Small with { Window = TimeSpan.FromHours(1) });
        const string typedIntoName = "hunter2-password";
        await TryAsync(5, "alice", Wrong, _ => "192.0.2.1");
        var first = Warnings();
        await TryAsync(5, typedIntoName, Wrong, _ => "192.0.2.2");
        var withinMinute = Warnings();
        clock.Advance(SignInTelemetry.WarningInterval);
        await TryAsync(1, typedIntoName, Wrong, _ => "192.0.2.2");
        var later = Warnings();

        Assert.Multiple(() =>
        {
            Assert.That(first, Has.Count.EqualTo(1));
            Assert.That(first[0], Does.Contain("account alice").And.Contain("192.0.2.1"));
            Assert.That(withinMinute, Has.Count.EqualTo(1), "the second throttled account within the minute is not logged");
            Assert.That(later, Has.Count.EqualTo(2));
            Assert.That(later[1], Does.Contain("an unknown name").And.Contain("192.0.2.2").And.Not.Contain(typedIntoName));
            Assert.That(later, Has.None.Contains(Wrong).And.None.Contains(Password));
        });
    }

    private void Build(SignInLimitSettings settings, SignInLimiter? limiter = null)
    {
        rig?.Dispose();
        rig = new SignInRig(settings, clock, limiter);
        directory = new AccountDirectory(store, cache, rig.Guard, new AccessTokenVerifier(new AccessTokenStore(world.Service<Npgsql.NpgsqlDataSource>(), clock), cache, clock), new FakeLogger<AccountDirectory>());
    }

    private Task<CredentialVerification> Verify(string name, string secret, string address)
        => directory.VerifyAsync(name, secret, address, CancellationToken.None);

    private Task<List<CredentialVerification>> TryAsync(int times, string name, string secret, Func<int, string> address)
        => TryAsync(times, _ => name, secret, address);

    private async Task<List<CredentialVerification>> TryAsync(int times, Func<int, string> name, string secret, Func<int, string> address)
    {
        var answers = new List<CredentialVerification>();
        for (var i = 0; i < times; i++)
        {
            answers.Add(await Verify(name(i), secret, address(i)));
        }

        return answers;
    }

    private List<string> Warnings()
        => rig.Warnings.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Message).ToList();

    private static long Sum(MetricCollector<long> collector, string reason)
        => collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], reason)).Sum(m => m.Value);
}
