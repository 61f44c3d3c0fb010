namespace Forge.Accounts;

/// <summary>
/// Token buckets of failed sign-ins, one per key (an account's lower name, or a client's address key): a bucket holds
/// up to <c>limit</c> tries and refills at <c>limit</c> per <c>window</c>; a key without a bucket has a full one. At
/// most <c>maxKeys</c> buckets are kept: past that the full ones go, then those nearest to full. Not thread-safe: the
/// <see cref="SignInLimiter"/> calls it under its lock.
/// </summary>
internal sealed class FailureBuckets(int limit, TimeSpan window, int maxKeys)
{
    private readonly Dictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private readonly double refillPerTick = (double)limit / window.Ticks;

    public int Count => buckets.Count;

    /// <summary>How long until <paramref name="key"/> may try again; zero when it may now.</summary>
    public TimeSpan Wait(string key, DateTimeOffset now)
    {
        var tokens = Tokens(key, now);
        return tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling((1 - tokens) / refillPerTick));
    }

    /// <summary>Whether <paramref name="key"/> has failed recently (its bucket is not full).</summary>
    public bool HasFailures(string key, DateTimeOffset now) => Tokens(key, now) < limit;

    /// <summary>Takes one try from <paramref name="key"/>'s bucket.</summary>
    public void Take(string key, DateTimeOffset now)
    {
        var tokens = Tokens(key, now);
        if (!buckets.ContainsKey(key) && buckets.Count >= maxKeys)
        {
            Trim(now);
        }

        buckets[key] = new Bucket(tokens - 1, now);
    }

    /// <summary>Gives back a try taken for a verification that did not fail.</summary>
    public void Give(string key, DateTimeOffset now)
    {
        if (!buckets.ContainsKey(key))
        {
            return;
        }

        var tokens = Math.Min(limit, Tokens(key, now) + 1);
        if (tokens >= limit)
        {
            buckets.Remove(key);
        }
        else
        {
            buckets[key] = new Bucket(tokens, now);
        }
    }

    private double Tokens(string key, DateTimeOffset now)
        => buckets.TryGetValue(key, out var bucket) ? Refilled(bucket, now) : limit;

    private double Refilled(Bucket bucket, DateTimeOffset now)
        => Math.Min(limit, bucket.Tokens + (Math.Max(0, (now - bucket.Updated).Ticks) * refillPerTick));

    private void Trim(DateTimeOffset now)
    {
        foreach (var (key, bucket) in buckets)
        {
            if (Refilled(bucket, now) >= limit)
            {
                buckets.Remove(key);
            }
        }

        // Still full: drop the tenth nearest to full at once, so that a full table is not swept on every failure.
        var excess = buckets.Count - (maxKeys - Math.Max(1, maxKeys / 10));
        if (excess > 0)
        {
            foreach (var key in buckets.OrderByDescending(b => Refilled(b.Value, now)).Take(excess).Select(b => b.Key).ToList())
            {
                buckets.Remove(key);
            }
        }
    }

    private readonly record struct Bucket(double Tokens, DateTimeOffset Updated);
}
