namespace Forge.Packages.Container.Registry;

/// <summary>A request the registry refuses: the <see cref="RegistryFailure"/> and a message for the client that says what is wrong.</summary>
public sealed class RegistryFailureException(RegistryFailure failure, string message) : Exception(message)
{
    public RegistryFailure Failure { get; } = failure;

    /// <summary>With <see cref="RegistryFailure.UploadOutOfOrder"/>: the bytes the session has received.</summary>
    public long? UploadReceived { get; private init; }

    /// <summary>With <see cref="RegistryFailure.ManifestBlobUnknown"/>: the digest the repository lacks.</summary>
    public string? MissingDigest { get; private init; }

    /// <summary>With <see cref="RegistryFailure.TooManyRequests"/>: how long the client should wait.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    public static RegistryFailureException TooManyRequests(TimeSpan retryAfter, string message)
        => new(RegistryFailure.TooManyRequests, message) { RetryAfter = retryAfter };

    /// <summary>
    /// With <see cref="RegistryFailure.Unauthorized"/>, <see cref="RegistryFailure.InvalidToken"/> and
    /// <see cref="RegistryFailure.InsufficientScope"/>: the token scope the request needed
    /// (<c>repository:alice/app:push</c>), for the challenge; null where none names it (the ping).
    /// </summary>
    public string? ChallengeScope { get; private init; }

    public static RegistryFailureException Unauthorized(string message, string? scope = null)
        => new(RegistryFailure.Unauthorized, message) { ChallengeScope = scope };

    public static RegistryFailureException InvalidToken(string message, string? scope)
        => new(RegistryFailure.InvalidToken, message) { ChallengeScope = scope };

    public static RegistryFailureException InsufficientScope(string message, string scope)
        => new(RegistryFailure.InsufficientScope, message) { ChallengeScope = scope };

    public static RegistryFailureException Denied(string message) => new(RegistryFailure.Denied, message);

    public static RegistryFailureException NameInvalid(string message) => new(RegistryFailure.NameInvalid, message);

    public static RegistryFailureException NameUnknown(string name) => new(RegistryFailure.NameUnknown, $"repository {name} is not known to this registry");

    public static RegistryFailureException TagInvalid(string message) => new(RegistryFailure.TagInvalid, message);

    public static RegistryFailureException DigestInvalid(string message) => new(RegistryFailure.DigestInvalid, message);

    public static RegistryFailureException BlobUnknown(string digest) => new(RegistryFailure.BlobUnknown, $"blob {digest} is not in this repository");

    public static RegistryFailureException UploadUnknown(string id) => new(RegistryFailure.UploadUnknown, $"upload {id} is unknown (finished, cancelled or expired)");

    public static RegistryFailureException UploadInvalid(string message) => new(RegistryFailure.UploadInvalid, message);

    public static RegistryFailureException UploadOutOfOrder(long received, string message)
        => new(RegistryFailure.UploadOutOfOrder, message) { UploadReceived = received };

    public static RegistryFailureException SizeInvalid(string message) => new(RegistryFailure.SizeInvalid, message);

    public static RegistryFailureException ManifestTooLarge(string message) => new(RegistryFailure.ManifestTooLarge, message);

    public static RegistryFailureException ManifestInvalid(string message) => new(RegistryFailure.ManifestInvalid, message);

    public static RegistryFailureException ManifestUnknown(string reference) => new(RegistryFailure.ManifestUnknown, $"manifest {reference} is not in this repository");

    /// <summary>A manifest asked for by a reference that cannot name one; <paramref name="why"/> says what is wrong with it.</summary>
    public static RegistryFailureException ManifestNotNamed(string why) => new(RegistryFailure.ManifestUnknown, $"no manifest of this repository is named so: {why}");

    public static RegistryFailureException ManifestBlobUnknown(string digest)
        => new(RegistryFailure.ManifestBlobUnknown, $"the manifest references {digest}, which is not in this repository") { MissingDigest = digest };

    public static RegistryFailureException InUse(string message) => new(RegistryFailure.InUse, message);

    public static RegistryFailureException BlobInUse(string message) => new(RegistryFailure.BlobInUse, message);

    public static RegistryFailureException PaginationInvalid(string message) => new(RegistryFailure.PaginationInvalid, message);
}
