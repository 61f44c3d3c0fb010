namespace Forge.Accounts.Tests;

/// <summary>The budgets of failed sign-ins per account and per address, on a clock the test moves.</summary>
public sealed class SignInLimiterTests
{
    private readonly ManualClock clock = new();

    [Test]
    public void An_account_is_refused_after_its_budget_of_failures_until_the_window_gives_one_back()
    {
        var limiter = Limiter(perAccount: 3, perAddress: 100, window: TimeSpan.FromMinutes(1));
        for (var i = 1; i <= 3; i++)
        {
            FailFrom(limiter, "alice", $"192.0.2.{i}", 1);
        }

        var refused = limiter.Reserve("alice", "192.0.2.4").Refusal;
        var other = limiter.Reserve("bob", "192.0.2.4").Reservation;
        clock.Advance(TimeSpan.FromSeconds(19));
        var early = limiter.Reserve("alice", "192.0.2.4").Refusal;
        clock.Advance(TimeSpan.FromSeconds(1));
        var again = limiter.Reserve("alice", "192.0.2.4").Reservation;

        Assert.Multiple(() =>
        {
            // 3 per minute: one try comes back every 20 s.
            Assert.That(refused, Is.EqualTo(new SignInRefusal(SignInThrottleReason.Account, TimeSpan.FromSeconds(20))));
            Assert.That(other, Is.Not.Null, "another account from the same address");
            Assert.That(early, Is.EqualTo(new SignInRefusal(SignInThrottleReason.Account, TimeSpan.FromSeconds(1))));
            Assert.That(again, Is.Not.Null);
        });
    }

    [Test]
    public void An_address_is_refused_after_its_budget_of_failures_whichever_names_it_tries()
    {
        var limiter = Limiter(perAccount: 100, perAddress: 4, window: TimeSpan.FromMinutes(2));
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            FailFrom(limiter, name, "198.51.100.7", 1);
        }

        var refused = limiter.Reserve("e", "198.51.100.7").Refusal;
        var elsewhere = limiter.Reserve("e", "198.51.100.8").Reservation;
        clock.Advance(TimeSpan.FromMinutes(2));
        var afterWindow = Enumerable.Range(0, 4).Select(i => limiter.Reserve($"x{i}", "198.51.100.7").Reservation).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(refused, Is.EqualTo(new SignInRefusal(SignInThrottleReason.Address, TimeSpan.FromSeconds(30))));
            Assert.That(elsewhere, Is.Not.Null);
            Assert.That(afterWindow, Has.All.Not.Null, "a whole window later the whole budget is back");
        });
    }

    [Test]
    public void A_released_try_does_not_count_so_successes_never_throttle()
    {
        var limiter = Limiter(perAccount: 2, perAddress: 2, window: TimeSpan.FromHours(1));

        for (var i = 0; i < 10; i++)
        {
            limiter.Release(limiter.Reserve("alice", "192.0.2.1").Reservation!);
        }

        var next = limiter.Reserve("alice", "192.0.2.1");
        Assert.Multiple(() =>
        {
            Assert.That(next.Reservation, Is.Not.Null);
            Assert.That(next.Reservation!.Suspect, Is.False, "nothing failed");
            Assert.That(limiter.TrackedKeys, Is.EqualTo((1, 1)), "the try in flight");
        });
    }

    [Test]
    public void Concurrent_tries_cannot_overrun_a_budget_because_each_holds_its_try()
    {
        var limiter = Limiter(perAccount: 3, perAddress: 100, window: TimeSpan.FromHours(1));

        var tries = Enumerable.Range(0, 5).Select(i => limiter.Reserve("alice", $"192.0.2.{i}")).ToList();

        Assert.That(tries.Count(t => t.Reservation is not null), Is.EqualTo(3));
    }

    [Test]
    public void A_try_after_a_failure_of_its_account_or_address_is_suspect()
    {
        var limiter = Limiter(perAccount: 5, perAddress: 5, window: TimeSpan.FromHours(1));
        FailFrom(limiter, "alice", "192.0.2.1", 1);

        Assert.Multiple(() =>
        {
            Assert.That(limiter.Reserve("alice", "192.0.2.9").Reservation!.Suspect, Is.True, "the account failed");
            Assert.That(limiter.Reserve("bob", "192.0.2.1").Reservation!.Suspect, Is.True, "the address failed");
            Assert.That(limiter.Reserve("carol", "192.0.2.8").Reservation!.Suspect, Is.False);
        });
    }

    [Test]
    public void IPv6_addresses_count_per_64_and_mapped_IPv4_as_IPv4()
    {
        var limiter = Limiter(perAccount: 100, perAddress: 2, window: TimeSpan.FromHours(1));
        FailFrom(limiter, "a", "2001:db8:1:2::1", 1);
        FailFrom(limiter, "b", "2001:db8:1:2:ffff::9", 1);
        FailFrom(limiter, "c", "::ffff:192.0.2.1", 1);
        FailFrom(limiter, "d", "192.0.2.1", 1);

        Assert.Multiple(() =>
        {
            Assert.That(ClientAddressKey.Of("2001:db8:1:2:abcd::1"), Is.EqualTo("2001:db8:1:2::/64"));
            Assert.That(limiter.Reserve("e", "2001:db8:1:2:1::1").Refusal?.Reason, Is.EqualTo(SignInThrottleReason.Address));
            Assert.That(limiter.Reserve("e", "2001:db8:1:3::1").Reservation, Is.Not.Null, "another /64");
            Assert.That(limiter.Reserve("e", "192.0.2.1").Refusal?.Reason, Is.EqualTo(SignInThrottleReason.Address));
            Assert.That(ClientAddressKey.Of("unknown"), Is.EqualTo("unknown"));
        });
    }

    [Test]
    public void The_tracked_keys_stay_within_the_cap_and_the_failing_ones_stay_longest()
    {
        var limiter = Limiter(perAccount: 3, perAddress: 1_000_000, window: TimeSpan.FromHours(1), maxKeys: 100);
        FailFrom(limiter, "victim", "192.0.2.1", 3);

        for (var i = 0; i < 1_000; i++)
        {
            FailFrom(limiter, $"spray{i}", "192.0.2.1", 1);
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Multiple(() =>
        {
            Assert.That(limiter.TrackedKeys.Accounts, Is.LessThanOrEqualTo(100));
            Assert.That(limiter.Reserve("victim", "192.0.2.2").Refusal?.Reason, Is.EqualTo(SignInThrottleReason.Account),
                "the account with its budget spent is not trimmed before those with one failure");
        });
    }

    private SignInLimiter Limiter(int perAccount, int perAddress, TimeSpan window, int maxKeys = 1_000)
        => new(SignInLimitSettings.Default with { PerAccount = perAccount, PerAddress = perAddress, Window = window, MaxTrackedKeys = maxKeys }, clock);

    /// <summary><paramref name="times"/> tries that failed (their reservations kept).</summary>
    private static void FailFrom(SignInLimiter limiter, string name, string address, int times)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.That(limiter.Reserve(name, address).Reservation, Is.Not.Null, $"try {i + 1} of {name} from {address}");
        }
    }
}
