namespace Forge.Packages.Schema;

/// <summary>
/// Forge's own table, beside Forgejo's: the keys that sign the container registry's bearer tokens, shared by every
/// node. One key is current (signs new tokens); a retired key keeps verifying the tokens it signed until they have
/// expired (<c>retired_unix</c> plus the token lifetime), then is deleted at the next rotation.
/// </summary>
public sealed class RegistryTokenKey
{
    /// <summary>The key's id, the <c>kid</c> of the tokens it signs (random, not derived from the secret).</summary>
    public string Kid { get; set; } = string.Empty;

    /// <summary>The HMAC-SHA256 secret (32 random bytes).</summary>
    public byte[] Secret { get; set; } = [];

    public long CreatedUnix { get; set; }

    /// <summary>When a rotation made another key current; null while this one is.</summary>
    public long? RetiredUnix { get; set; }

    /// <summary>True for the one current key (a unique index over the true rows keeps it one).</summary>
    public bool IsCurrent { get; set; }
}
