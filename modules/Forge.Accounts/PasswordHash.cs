using System.Security.Cryptography;
using System.Text;

namespace Forge.Accounts;

/// <summary>A password as the <c>"user"</c> table keeps it: hash, algorithm and salt; never the password.</summary>
public sealed record StoredPassword(string Passwd, string Algorithm, string Salt);

/// <summary>
/// Salted PBKDF2-HMAC-SHA256 password hashes, written the way Forgejo writes its <c>pbkdf2_hi</c> setting:
/// <c>passwd_hash_algo</c> is <c>pbkdf2$320000$50</c>, <c>salt</c> is 16 random bytes in hex, and
/// <c>passwd</c> is the 50-byte key in lower-case hex, derived from the password's UTF-8 bytes and the
/// salt's bytes (the hex decoded). So a row that either forge writes verifies in the other.
/// </summary>
public static class PasswordHash
{
    public const string Algorithm = "pbkdf2$320000$50";
    public const int Iterations = 320_000;
    public const int KeyLength = 50;
    public const int SaltLength = 16;

    /// <summary>A fixed salt for <see cref="SpendVerificationTime"/>: the work is what counts, not the result.</summary>
    private static readonly byte[] DummySalt = RandomNumberGenerator.GetBytes(SaltLength);

    /// <summary>Hashes <paramref name="password"/> with a new random salt.</summary>
    public static StoredPassword Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        return new StoredPassword(Convert.ToHexStringLower(Derive(password, salt)), Algorithm, Convert.ToHexStringLower(salt));
    }

    /// <summary>Whether Forge can verify passwords stored with <paramref name="algorithm"/>.</summary>
    public static bool IsKnown(string algorithm) => string.Equals(algorithm, Algorithm, StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="password"/> is the one <paramref name="stored"/> was made from, compared in
    /// constant time. False for an algorithm that <see cref="IsKnown"/> refuses and for a damaged row.
    /// </summary>
    public static bool Verify(string password, StoredPassword stored)
    {
        if (!IsKnown(stored.Algorithm) || !TryFromHex(stored.Salt, out var salt) || !TryFromHex(stored.Passwd, out var expected))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Derive(password, salt), expected);
    }

    /// <summary>Spends the time of one verification, so that an unknown name takes as long as a known one.</summary>
    public static void SpendVerificationTime(string password) => Derive(password, DummySalt);

    private static byte[] Derive(string password, byte[] salt)
        => Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, KeyLength);

    private static bool TryFromHex(string hex, out byte[] bytes)
    {
        bytes = hex.Length % 2 == 0 ? new byte[hex.Length / 2] : [];
        return hex.Length % 2 == 0 && hex.Length > 0 && Convert.FromHexString(hex, bytes, out _, out _) == System.Buffers.OperationStatus.Done;
    }
}
