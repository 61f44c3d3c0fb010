namespace Forge.Accounts;

/// <summary>
/// What a credential may do with packages. A password may do whatever its account may; an access token what its
/// scope says (Forgejo's <c>read:package</c> and <c>write:package</c>).
/// </summary>
public enum PackageScope
{
    /// <summary>Read packages: pull images, list them.</summary>
    Read = 1,

    /// <summary>Read and write packages: push, delete, manage rules.</summary>
    Write = 2,
}

/// <summary>
/// A verified credential: the account, what it may do with packages, and the access token it was (null for a
/// password). Never the secret itself.
/// </summary>
public sealed record VerifiedCredential(Account Account, PackageScope Packages, long? AccessTokenId)
{
    public bool MayWritePackages => Packages == PackageScope.Write;
}

/// <summary>How a verification ended.</summary>
public enum VerificationOutcome
{
    Verified,

    /// <summary>Unknown name, wrong password, unknown, revoked or expired token: the caller cannot tell which.</summary>
    Refused,

    /// <summary>Too many failed verifications for this account or from this address: nothing was verified.</summary>
    Throttled,
}

/// <summary>The answer of <see cref="IAccountDirectory.VerifyAsync"/>.</summary>
public sealed record CredentialVerification(VerificationOutcome Outcome, VerifiedCredential? Credential, TimeSpan RetryAfter)
{
    public static CredentialVerification Refused { get; } = new(VerificationOutcome.Refused, null, TimeSpan.Zero);

    public static CredentialVerification Verified(VerifiedCredential credential) => new(VerificationOutcome.Verified, credential, TimeSpan.Zero);

    /// <summary>Refused without a verification; <paramref name="retryAfter"/> is when the limit lets this account and address try again.</summary>
    public static CredentialVerification Throttled(TimeSpan retryAfter) => new(VerificationOutcome.Throttled, null, retryAfter);
}
