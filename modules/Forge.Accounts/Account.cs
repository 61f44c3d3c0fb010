namespace Forge.Accounts;

/// <summary>A user account: what the registry needs to know of the one pushing.</summary>
public sealed record Account(long Id, string Name);

/// <summary>The accounts, for authentication: the one interface other modules use.</summary>
public interface IAccountDirectory
{
    /// by name, case-insensitive (lower_name); null when there is none
    Task<Account?> FindAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Verifies a name with a password or one of that account's access tokens, presented from
    /// <paramref name="clientAddress"/> (the limiter of failed verifications counts per account and per address).
    /// An unknown name and a wrong secret are indistinguishable to the caller; past the limit the answer is
    /// <see cref="VerificationOutcome.Throttled"/> without any verification.
    /// </summary>
    Task<CredentialVerification> VerifyAsync(string name, string secret, string clientAddress, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the access token with this id still exists and has not expired: what a credential derived from it
    /// (a registry bearer token) checks on every use, so that a revocation takes effect at once.
    /// </summary>
    Task<bool> IsAccessTokenValidAsync(long accessTokenId, CancellationToken cancellationToken);

    /// the names of the accounts with these ids (an id no account has is left out), for reports that name owners
    Task<IReadOnlyDictionary<long, string>> NamesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);
}
