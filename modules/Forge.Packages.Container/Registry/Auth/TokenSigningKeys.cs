using System.Security.Cryptography;
using Forge.Packages.Container.Data;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Forge.Packages.Container.Registry.Auth;

/// <summary>A key that signs or verifies tokens; <see cref="AcceptedUntil"/> is null for the current key.</summary>
internal sealed record TokenSigningKey(string Kid, SymmetricSecurityKey Key, DateTimeOffset? AcceptedUntil)
{
    public override string ToString() => $"token key {Kid}";
}

/// <summary>
/// The keys of the registry's tokens, shared by every node: the one of <c>Forge:Registry:TokenSigningKey</c>, or the
/// database's (<see cref="TokenKeyStore"/>), made on first use when there is none. A node re-reads the database's
/// keys every <c>Forge:Registry:TokenKeyReload</c>, and at once (at most every few seconds) when a token names a key
/// it does not know, so that a rotation on another node takes effect. A retired key verifies until the tokens it
/// signed have expired (its retirement plus the token lifetime and the clock skew). No key reaches a log.
/// </summary>
internal sealed partial class TokenSigningKeys(RegistrySettings settings, TokenKeyStore store, TimeProvider clock, ILogger<TokenSigningKeys> logger) : IDisposable
{
    /// <summary>How often a token with an unknown key may make a node re-read the keys.</summary>
    public static readonly TimeSpan UnknownKidReload = TimeSpan.FromSeconds(5);

    private const int SecretBytes = 32;

    private readonly SemaphoreSlim reloadGate = new(1, 1);
    private Snapshot? snapshot;
    private DateTimeOffset lastUnknownReload = DateTimeOffset.MinValue;

    /// <summary>The key that signs new tokens.</summary>
    public async Task<TokenSigningKey> CurrentAsync(CancellationToken cancellationToken)
        => (await FreshAsync(cancellationToken)).Current;

    /// <summary>The key with this id, if it may still verify; null for an unknown or expired one.</summary>
    public async Task<TokenSigningKey?> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var keys = await FreshAsync(cancellationToken);
        if (!keys.ByKid.ContainsKey(kid) && settings.Tokens.SigningKey is null && clock.GetUtcNow() - lastUnknownReload >= UnknownKidReload)
        {
            lastUnknownReload = clock.GetUtcNow();
            keys = await ReloadAsync(keys, cancellationToken);
        }

        return keys.ByKid.TryGetValue(kid, out var key) && (key.AcceptedUntil is null || key.AcceptedUntil > clock.GetUtcNow()) ? key : null;
    }

    /// <summary>
    /// Makes a new key current (on every node within <c>Forge:Registry:TokenKeyReload</c>); the previous key keeps
    /// verifying its tokens until they expire. Deletes the keys whose tokens have all expired.
    /// </summary>
    public async Task<(string Kid, string? RetiredKid, int Deleted)> RotateAsync(CancellationToken cancellationToken)
    {
        if (settings.Tokens.SigningKey is not null)
        {
            throw new InvalidOperationException(
                $"the registry's tokens are signed with {RegistryTokenSettings.SigningKeyKey}: rotate by changing that setting on every node");
        }

        var now = clock.GetUtcNow();
        var kid = NewKid();
        var (retired, deleted) = await store.RotateAsync(
            kid, RandomNumberGenerator.GetBytes(SecretBytes), now.ToUnixTimeSeconds(),
            (now - RegistryTokenSettings.MaximumLifetime - RegistryTokens.ClockSkew).ToUnixTimeSeconds(), cancellationToken);
        LogRotated(kid, retired ?? "none");
        snapshot = null;
        return (kid, retired, deleted);
    }

    private async Task<Snapshot> FreshAsync(CancellationToken cancellationToken)
    {
        var keys = snapshot;
        return keys is not null && clock.GetUtcNow() - keys.LoadedAt < settings.Tokens.KeyReload ? keys : await ReloadAsync(keys, cancellationToken);
    }

    private async Task<Snapshot> ReloadAsync(Snapshot? seen, CancellationToken cancellationToken)
    {
        await reloadGate.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have reloaded while this one waited.
            if (snapshot is { } current && !ReferenceEquals(current, seen))
            {
                return current;
            }

            var loaded = settings.Tokens.SigningKey is { } configured ? Configured(configured) : await LoadStoredAsync(cancellationToken);
            snapshot = loaded;
            return loaded;
        }
        finally
        {
            reloadGate.Release();
        }
    }

    private Snapshot Configured(ReadOnlyMemory<byte> secret)
    {
        // The id names the key without revealing it: a prefix of its SHA-256 (the key has at least 256 random bits).
        var kid = "cfg-" + Convert.ToHexStringLower(SHA256.HashData(secret.Span))[..16];
        var key = new TokenSigningKey(kid, new SymmetricSecurityKey(secret.ToArray()) { KeyId = kid }, null);
        return new Snapshot(key, new Dictionary<string, TokenSigningKey>(StringComparer.Ordinal) { [kid] = key }, clock.GetUtcNow());
    }

    private async Task<Snapshot> LoadStoredAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var accepted = settings.Tokens.Lifetime + RegistryTokens.ClockSkew;
        var stored = await store.ListUsableAsync((now - accepted).ToUnixTimeSeconds(), cancellationToken);
        if (!stored.Exists(k => k.RetiredUnix is null))
        {
            // The first start of the deployment: make the first key; of nodes starting at once, one insert wins.
            var kid = NewKid();
            if (await store.AddFirstAsync(kid, RandomNumberGenerator.GetBytes(SecretBytes), now.ToUnixTimeSeconds(), cancellationToken))
            {
                LogGenerated(kid);
            }

            stored = await store.ListUsableAsync((now - accepted).ToUnixTimeSeconds(), cancellationToken);
        }

        var keys = stored.Select(k => new TokenSigningKey(
                k.Kid,
                new SymmetricSecurityKey(k.Secret.ToArray()) { KeyId = k.Kid },
                k.RetiredUnix is { } retired ? DateTimeOffset.FromUnixTimeSeconds(retired) + accepted : null))
            .ToDictionary(k => k.Kid, StringComparer.Ordinal);
        var current = keys.Values.FirstOrDefault(k => k.AcceptedUntil is null)
            ?? throw new InvalidOperationException("forge_registry_token_key has no current key after making one");
        return new Snapshot(current, keys, now);
    }

    public void Dispose() => reloadGate.Dispose();

    private static string NewKid() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    [LoggerMessage(Level = LogLevel.Information, Message = "Made the first signing key {Kid} of the registry's tokens")]
    private partial void LogGenerated(string kid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotated the signing key of the registry's tokens: {Kid} is current, {Retired} retired")]
    private partial void LogRotated(string kid, string retired);

    private sealed record Snapshot(TokenSigningKey Current, Dictionary<string, TokenSigningKey> ByKid, DateTimeOffset LoadedAt);
}
