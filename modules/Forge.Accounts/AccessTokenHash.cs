using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Forge.Accounts;

/// <summary>A new access token: the token itself (shown once) and what <c>access_token</c> keeps of it.</summary>
public sealed record NewAccessToken(string Token, string Salt, string Hash, string LastEight)
{
    /// <summary>Never the token.</summary>
    public override string ToString() => $"access token …{LastEight}";
}

/// <summary>
/// Access tokens as Forgejo makes and checks them: the token is 20 random bytes in lower-case hex (40
/// characters); <c>token_salt</c> a random string; <c>token_hash</c> PBKDF2-HMAC-SHA256 of the token's bytes with
/// the salt's bytes (the string itself, not decoded), 10,000 iterations, 50 bytes, in lower-case hex;
/// <c>token_last_eight</c> the token's last eight characters. So a token either forge made verifies in the other.
/// </summary>
public static class AccessTokenHash
{
    public const int TokenBytes = 20;
    public const int TokenLength = TokenBytes * 2;
    public const int LastEightLength = 8;
    public const int Iterations = 10_000;
    public const int KeyLength = 50;

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    /// <summary>16 random bytes in URL-safe base64, 22 characters, as Forgejo's salts of tokens are.</summary>
    private const int SaltBytes = 16;

    /// <summary>A new token with a new salt.</summary>
    public static NewAccessToken Create()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(TokenBytes));
        var salt = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SaltBytes));
        return new NewAccessToken(token, salt, Convert.ToHexStringLower(Derive(token, salt)), LastEight(token));
    }

    /// <summary>Whether <paramref name="secret"/> looks like a token (40 lower-case hex characters), so is worth looking up as one.</summary>
    public static bool HasTokenShape(string secret)
        => secret.Length == TokenLength && secret.AsSpan().IndexOfAnyExcept(LowerHex) < 0;

    /// <summary>The characters <c>token_last_eight</c> holds of <paramref name="token"/>.</summary>
    public static string LastEight(string token) => token[^LastEightLength..];

    /// <summary>Whether <paramref name="token"/> is the one that <paramref name="hash"/> was made from with <paramref name="salt"/>, compared in constant time.</summary>
    public static bool Verify(string token, string salt, string hash)
    {
        var expected = new byte[hash.Length / 2];
        if (hash.Length != KeyLength * 2 || Convert.FromHexString(hash, expected, out _, out _) != OperationStatus.Done)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Derive(token, salt), expected);
    }

    private static byte[] Derive(string token, string salt)
        => Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(salt), Iterations, HashAlgorithmName.SHA256, KeyLength);
}
