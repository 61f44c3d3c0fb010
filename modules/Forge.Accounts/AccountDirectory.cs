using Microsoft.Extensions.Logging;

namespace Forge.Accounts;

/// <summary>
/// <see cref="IAccountDirectory"/> over the <c>"user"</c> table. Every call reads the user's row; a
/// password is checked with PBKDF2 unless this process verified the same name and password against the
/// same stored hash within <see cref="VerificationCache.Lifetime"/>. So a new password or a deleted user
/// takes effect at once, and an unknown name costs a PBKDF2 like a known one.
/// </summary>
public sealed partial class AccountDirectory(AccountStore store, VerificationCache cache, ILogger<AccountDirectory> logger) : IAccountDirectory
{
    public async Task<Account?> FindAsync(string name, CancellationToken cancellationToken)
        => (await store.FindAsync(name, cancellationToken))?.Account;

    public Task<IReadOnlyDictionary<long, string>> NamesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
        => store.NamesAsync(ids, cancellationToken);

    public async Task<CredentialVerification> VerifyAsync(string name, string secret, string clientAddress, CancellationToken cancellationToken)
        => await VerifyPasswordAsync(name, secret, cancellationToken) is { } account
            ? CredentialVerification.Verified(new VerifiedCredential(account, PackageScope.Write, null))
            : CredentialVerification.Refused;

    public Task<bool> IsAccessTokenValidAsync(long accessTokenId, CancellationToken cancellationToken) => Task.FromResult(false);

    private async Task<Account?> VerifyPasswordAsync(string name, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(password);
        var row = await store.FindAsync(name, cancellationToken);
        if (row is null)
        {
            PasswordHash.SpendVerificationTime(password);
            return null;
        }

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
