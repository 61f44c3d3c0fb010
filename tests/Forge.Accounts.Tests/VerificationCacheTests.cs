namespace Forge.Accounts.Tests;

/// <summary>The in-memory record of successful verifications: keyed without the password, bounded, short-lived.</summary>
public sealed class VerificationCacheTests
{
    private static readonly Account Alice = new(1, "alice");

    [Test]
    public void An_entry_is_honoured_only_for_the_same_user_and_stored_hash_within_its_lifetime()
    {
        var clock = new ManualClock();
        var cache = new VerificationCache(clock);
        var key = cache.KeyOf("alice", "correct horse battery");
        cache.Add(key, Alice, "hash-1");

        Assert.Multiple(() =>
        {
            Assert.That(cache.Find(key, Alice.Id, "hash-1"), Is.EqualTo(Alice));
            Assert.That(cache.Find(cache.KeyOf("alice", "correct horse batterY"), Alice.Id, "hash-1"), Is.Null, "another password");
            Assert.That(cache.Find(cache.KeyOf("bob", "correct horse battery"), Alice.Id, "hash-1"), Is.Null, "another name");
            Assert.That(cache.Find(key, 2, "hash-1"), Is.Null, "another user of the same name");
        });

        cache.Add(key, Alice, "hash-1");
        Assert.That(cache.Find(key, Alice.Id, "hash-2"), Is.Null, "a new stored hash");

        cache.Add(key, Alice, "hash-1");
        clock.Advance(VerificationCache.Lifetime);
        Assert.That(cache.Find(key, Alice.Id, "hash-1"), Is.Null, "expired");
    }

    [Test]
    public void The_key_holds_neither_the_password_nor_the_same_value_in_another_process()
    {
        var cache = new VerificationCache(TimeProvider.System);
        var other = new VerificationCache(TimeProvider.System);

        var key = cache.KeyOf("alice", "correct horse battery");

        Assert.Multiple(() =>
        {
            Assert.That(key, Does.Not.Contain("correct horse battery"));
            Assert.That(other.KeyOf("alice", "correct horse battery"), Is.Not.EqualTo(key));
            Assert.That(cache.KeyOf("alice", "correct horse battery"), Is.EqualTo(key));
            // The name and the password are kept apart: moving a character across makes another key.
            Assert.That(cache.KeyOf("alic", "ecorrect horse battery"), Is.Not.EqualTo(key));
        });
    }

    [Test]
    public void A_full_cache_drops_the_expired_entries_then_the_oldest()
    {
        var clock = new ManualClock();
        var cache = new VerificationCache(clock, capacity: 10);
        for (var i = 0; i < 10; i++)
        {
            cache.Add(cache.KeyOf($"old{i}", "password"), Alice, "hash");
        }

        clock.Advance(VerificationCache.Lifetime + TimeSpan.FromSeconds(1));
        for (var i = 0; i < 25; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            cache.Add(cache.KeyOf($"new{i}", "password"), Alice, "hash");
        }

        Assert.Multiple(() =>
        {
            Assert.That(cache.Count, Is.LessThanOrEqualTo(10));
            Assert.That(cache.Find(cache.KeyOf("new24", "password"), Alice.Id, "hash"), Is.EqualTo(Alice), "the newest stays");
            Assert.That(cache.Find(cache.KeyOf("new0", "password"), Alice.Id, "hash"), Is.Null, "the oldest went");
        });
    }
}

/// <summary>A clock that moves only when told.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
