using Microsoft.Extensions.Logging;

namespace Forge.Accounts;

/// <summary>
/// <see cref="IAccountDirectory"/> over the <c>"user"</c> table. Every call reads the user's row; a secret
/// shaped like an access token is tried as one of that user's tokens first (<see cref="AccessTokenVerifier"/>:
/// a cheap PBKDF2 of 10,000 iterations, only for a token whose last eight characters match), then as the
/// password. A password is checked with PBKDF2 unless this process verified the same name and password against the
/// same stored hash within <see cref="VerificationCache.Lifetime"/>. So a new password or a deleted user
/// takes effect at once, and an unknown name costs a PBKDF2 like a known one. A remembered verification is
/// answered before the <see cref="SignInGuard"/>, so that a user keeps working while their account is under
/// attack; every other one goes through it (limits of failed sign-ins, shared identical tries, bounded PBKDF2).
/// </summary>
public sealed partial class AccountDirectory(AccountStore store, VerificationCache cache, SignInGuard guard, AccessTokenVerifier tokens, ILogger<AccountDirectory> logger) : IAccountDirectory
{
    public async Task<Account?> FindAsync(string name, CancellationToken cancellationToken)
        => (await store.FindAsync(name, cancellationToken))?.Account;

    public Task<IReadOnlyDictionary<long, string>> NamesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
        => store.NamesAsync(ids, cancellationToken);

    public async Task<CredentialVerification> VerifyAsync(string name, string secret, string clientAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(clientAddress);
        var row = await store.FindAsync(name, cancellationToken);
        var lowerName = AccountStore.LowerName(name);
        var key = cache.KeyOf(lowerName, secret);
        // Tokens first: a remembered token and a remembered password share the cache's key, and the password's check
        // would drop the token's entry (its hash is not the password's).
        if (row is not null)
        {
            var token = await tokens.VerifyAsync(row, secret, cancellationToken);
            if (token.Match == AccessTokenMatch.Verified)
            {
                return CredentialVerification.Verified(token.Credential!);
            }

            if (token.Match == AccessTokenMatch.Refused)
            {
                // One of the account's tokens, expired or of a scope without packages: not a guess, and not a password.
                return CredentialVerification.Refused;
            }
        }

        if (row is not null && cache.Find(key, row.Account.Id, row.Password.Passwd) is not null)
        {
            return CredentialVerification.Verified(PasswordCredential(row.Account));
        }

        var attempt = new SignInAttempt(key, lowerName, clientAddress, row?.Account.Name);
        return await guard.VerifyAsync(attempt, () => VerifyPassword(row, secret, key), cancellationToken);
    }

    public Task<bool> IsAccessTokenValidAsync(long accessTokenId, CancellationToken cancellationToken) => tokens.IsValidAsync(accessTokenId, cancellationToken);

    /// <summary>The expensive part: PBKDF2 (also for an unknown name), remembered when it succeeds.</summary>
    private VerifiedCredential? VerifyPassword(AccountRow? row, string password, string key)
    {
        if (row is null)
        {
            PasswordHash.SpendVerificationTime(password);
            return null;
        }

        if (!PasswordHash.IsKnown(row.Password.Algorithm))
        {
            LogUnknownAlgorithm(row.Account.Name, row.Password.Algorithm);
            PasswordHash.SpendVerificationTime(password);
            return null;
        }

        if (!PasswordHash.Verify(password, row.Password))
        {
            return null;
        }

        cache.Add(key, row.Account, row.Password.Passwd);
        return PasswordCredential(row.Account);
    }

    private static VerifiedCredential PasswordCredential(Account account) => new(account, PackageScope.Write, null);

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Refused the password of user {User}: its passwd_hash_algo '{Algorithm}' is not one Forge verifies (" + PasswordHash.Algorithm + "); 'forge users passwd {User}' sets a new one")]
    private partial void LogUnknownAlgorithm(string user, string algorithm);
}
