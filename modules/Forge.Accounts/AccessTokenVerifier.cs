namespace Forge.Accounts;

/// <summary>How a secret fared as one of an account's access tokens.</summary>
public enum AccessTokenMatch
{
    /// <summary>It is none of the account's tokens: it may still be the password.</summary>
    NotAToken,

    /// <summary>It is one of the account's tokens, and the token may be used with packages.</summary>
    Verified,

    /// <summary>It is one of the account's tokens, but expired, or of a scope that gives nothing with packages.</summary>
    Refused,
}

/// <summary>The answer of <see cref="AccessTokenVerifier.VerifyAsync"/>: the credential when <see cref="AccessTokenMatch.Verified"/>.</summary>
public sealed record AccessTokenVerification(AccessTokenMatch Match, VerifiedCredential? Credential)
{
    public static AccessTokenVerification NotAToken { get; } = new(AccessTokenMatch.NotAToken, null);

    public static AccessTokenVerification Refused { get; } = new(AccessTokenMatch.Refused, null);
}

/// <summary>
/// Verifies a secret as one of an account's access tokens: the account's tokens with the secret's last eight
/// characters (one indexed query), each checked with PBKDF2 in constant time, unless this process verified the same
/// name and token against the same <c>token_hash</c> within <see cref="VerificationCache.Lifetime"/>. The row is read
/// on every call, so a revoked (deleted), regenerated or expired token is refused at once. A use is recorded in
/// <c>updated_unix</c> at most once per <see cref="AccessTokenStore.LastUsedResolution"/>.
/// </summary>
public sealed class AccessTokenVerifier(AccessTokenStore store, VerificationCache cache, TimeProvider time)
{
    public async Task<AccessTokenVerification> VerifyAsync(AccountRow account, string secret, CancellationToken cancellationToken)
    {
        if (!AccessTokenHash.HasTokenShape(secret))
        {
            return AccessTokenVerification.NotAToken;
        }

        var candidates = await store.CandidatesAsync(account.Account.Id, AccessTokenHash.LastEight(secret), cancellationToken);
        if (candidates.Count == 0)
        {
            return AccessTokenVerification.NotAToken;
        }

        var key = cache.KeyOf(account.LowerName, secret);
        var remembered = candidates.FirstOrDefault(c => cache.Find(key, account.Account.Id, c.Hash) is not null);
        var token = remembered ?? candidates.FirstOrDefault(c => AccessTokenHash.Verify(secret, c.Salt, c.Hash));
        if (token is null)
        {
            return AccessTokenVerification.NotAToken;
        }

        var scope = token.AllRepositories ? AccessTokenScopes.Packages(token.Scope) : null;
        if (scope is null || token.ExpiresUnix <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            return AccessTokenVerification.Refused;
        }

        if (remembered is null)
        {
            cache.Add(key, account.Account, token.Hash);
        }

        await store.RecordUseAsync(token, cancellationToken);
        return new AccessTokenVerification(AccessTokenMatch.Verified, new VerifiedCredential(account.Account, scope.Value, token.Id));
    }

    /// <inheritdoc cref="IAccountDirectory.IsAccessTokenValidAsync"/>
    public Task<bool> IsValidAsync(long accessTokenId, CancellationToken cancellationToken) => store.IsValidAsync(accessTokenId, cancellationToken);
}
