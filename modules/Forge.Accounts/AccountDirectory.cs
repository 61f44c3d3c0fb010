using Microsoft.Extensions.Logging;

namespace Forge.Accounts;

/// <summary>
/// <see cref="IAccountDirectory"/> over the <c>"user"</c> table. Every call reads the user's row; a secret
/// shaped like an access token is tried as one of that user's tokens first (<see cref="AccessTokenVerifier"/>),
/// then as the password. A password is checked with PBKDF2 unless this process verified the same name and
/// password against the same stored hash within <see cref="VerificationCache.Lifetime"/>. So a new password or a
/// deleted user takes effect at once, and an unknown name costs a PBKDF2 like a known one.
/// </summary>
public sealed partial class AccountDirectory(AccountStore store, VerificationCache cache, AccessTokenVerifier tokens, ILogger<AccountDirectory> logger) : IAccountDirectory
{
    public async Task<Account?> FindAsync(string name, CancellationToken cancellationToken)
        => (await store.FindAsync(name, cancellationToken))?.Account;

    public Task<IReadOnlyDictionary<long, string>> NamesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
        => store.NamesAsync(ids, cancellationToken);

    public async Task<CredentialVerification> VerifyAsync(string name, string secret, string clientAddress, CancellationToken cancellationToken)
        => await VerifySecretAsync(name, secret, cancellationToken) is { } credential
            ? CredentialVerification.Verified(credential)
            : CredentialVerification.Refused;

    public Task<bool> IsAccessTokenValidAsync(long accessTokenId, CancellationToken cancellationToken) => tokens.IsValidAsync(accessTokenId, cancellationToken);

    /// <summary>The credential <paramref name="secret"/> is for the user named <paramref name="name"/>: one of its access tokens, else its password (which may write packages).</summary>
    private async Task<VerifiedCredential?> VerifySecretAsync(string name, string secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(secret);
        var row = await store.FindAsync(name, cancellationToken);
        if (row is null)
        {
            PasswordHash.SpendVerificationTime(secret);
            return null;
        }

        var token = await tokens.VerifyAsync(row, secret, cancellationToken);
        if (token.Match != AccessTokenMatch.NotAToken)
        {
            return token.Credential;
        }

        return VerifyPassword(row, secret) is { } account ? new VerifiedCredential(account, PackageScope.Write, null) : null;
    }

    private Account? VerifyPassword(AccountRow row, string password)
    {
        var key = cache.KeyOf(row.LowerName, password);
        if (cache.Find(key, row.Account.Id, row.Password.Passwd) is not null)
        {
            return row.Account;
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
        return row.Account;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Refused the password of user {User}: its passwd_hash_algo '{Algorithm}' is not one Forge verifies (" + PasswordHash.Algorithm + "); 'forge users passwd {User}' sets a new one")]
    private partial void LogUnknownAlgorithm(string user, string algorithm);
}
