using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Forge.Accounts;

/// <summary>
/// Successful password verifications of this process, so that the dozens of requests of one <c>docker push</c>
/// pay for PBKDF2 once. An entry is keyed by an HMAC of the name and the password under a key made at
/// random for this process (the password itself is never kept), and holds the stored hash it was verified
/// against: the caller honours it only while the user's row still has that hash. Entries live
/// <see cref="Lifetime"/>; at <c>capacity</c> the expired go, then the oldest.
/// </summary>
public sealed class VerificationCache(TimeProvider time, int capacity = VerificationCache.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly byte[] processKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly Lock trimming = new();

    public int Count => entries.Count;

    /// <summary>The cache key of a name (as <c>lower_name</c> holds it) and a password.</summary>
    public string KeyOf(string lowerName, string password)
    {
        var nameLength = Encoding.UTF8.GetByteCount(lowerName);
        var message = new byte[4 + nameLength + Encoding.UTF8.GetByteCount(password)];
        try
        {
            // Length-prefixed, so that no other name and password make the same message.
            BinaryPrimitives.WriteInt32BigEndian(message, nameLength);
            Encoding.UTF8.GetBytes(lowerName, message.AsSpan(4));
            Encoding.UTF8.GetBytes(password, message.AsSpan(4 + nameLength));
            return Convert.ToBase64String(HMACSHA256.HashData(processKey, message));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(message);
        }
    }

    /// <summary>
    /// The account verified under <paramref name="key"/> when that was less than <see cref="Lifetime"/> ago,
    /// for the same user, against the hash the row holds now (<paramref name="passwd"/>); otherwise null.
    /// </summary>
    public Account? Find(string key, long accountId, string passwd)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Expires > time.GetUtcNow() && entry.Account.Id == accountId && string.Equals(entry.Passwd, passwd, StringComparison.Ordinal))
        {
            return entry.Account;
        }

        entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        return null;
    }

    /// <summary>Records a successful verification of <paramref name="account"/> against <paramref name="passwd"/>.</summary>
    public void Add(string key, Account account, string passwd)
    {
        var now = time.GetUtcNow();
        if (entries.Count >= capacity)
        {
            Trim(now);
        }

        entries[key] = new Entry(account, passwd, now + Lifetime);
    }

    private void Trim(DateTimeOffset now)
    {
        lock (trimming)
        {
            foreach (var (key, entry) in entries)
            {
                if (entry.Expires <= now)
                {
                    entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                }
            }

            // Still full: drop the oldest tenth at once, so that a full cache is not swept on every add.
            var excess = entries.Count - (capacity - Math.Max(1, capacity / 10));
            if (excess > 0)
            {
                foreach (var (key, entry) in entries.OrderBy(e => e.Value.Expires).Take(excess).ToList())
                {
                    entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                }
            }
        }
    }

    private sealed record Entry(Account Account, string Passwd, DateTimeOffset Expires);
}
