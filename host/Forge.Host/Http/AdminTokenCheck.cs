using System.Security.Cryptography;
using System.Text;
using Forge.Modularity;

namespace Forge.Host.Http;

/// <summary>
/// <see cref="IAdminTokenCheck"/> over <c>Forge:Admin:Token</c>: the admin API's check, and the one modules are given.
/// Only the token's SHA-256 is kept; what a request presents is hashed and compared in constant time, so neither the
/// length nor a prefix of the token leaks through timing.
/// </summary>
public sealed class AdminTokenCheck(HttpSettings settings) : IAdminTokenCheck
{
    private readonly byte[]? expected = settings.AdminToken is { } token ? Hash(token) : null;

    public bool IsConfigured => expected is not null;

    public bool Matches(string presented)
        => expected is not null && CryptographicOperations.FixedTimeEquals(Hash(presented), expected);

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
