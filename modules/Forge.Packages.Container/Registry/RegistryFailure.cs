namespace Forge.Packages.Container.Registry;

/// <summary>
/// Why the registry refuses a request, in the registry's own words. The HTTP layer maps each to a status and an
/// OCI error code (<see cref="Http.OciErrors"/>); nothing below it speaks HTTP.
/// </summary>
public enum RegistryFailure
{
    /// <summary>The request sent no credentials, or wrong ones, where it needs an account.</summary>
    Unauthorized,

    /// <summary>A bearer token that is malformed, expired, badly signed, for another service or of a revoked access token.</summary>
    InvalidToken,

    /// <summary>A valid bearer token that does not grant what the request does.</summary>
    InsufficientScope,

    /// <summary>A token request's <c>scope</c> that is not <c>type:name:actions</c> of a known type and action.</summary>
    ScopeInvalid,

    /// <summary>The account may not do this (push to another owner's repository).</summary>
    Denied,

    /// <summary>The path is no endpoint of the registry API.</summary>
    NotAnEndpoint,

    /// <summary>The endpoint has no such method.</summary>
    MethodNotAllowed,

    NameInvalid,
    NameUnknown,
    TagInvalid,
    DigestInvalid,
    BlobUnknown,
    UploadUnknown,

    /// <summary>An upload session that cannot go on (its bytes were lost, or were not what its hashes saw).</summary>
    UploadInvalid,

    /// <summary>A chunk that does not start where its session stands; <see cref="RegistryFailureException.UploadReceived"/> says where.</summary>
    UploadOutOfOrder,

    /// <summary>A chunk whose length is not what its range said.</summary>
    SizeInvalid,

    /// <summary>A manifest larger than the registry takes.</summary>
    ManifestTooLarge,

    ManifestInvalid,
    ManifestUnknown,

    /// <summary>A manifest names a blob or manifest that the repository does not have.</summary>
    ManifestBlobUnknown,

    /// <summary>A manifest delete that would break an image: an index of the repository names the manifest.</summary>
    InUse,

    /// <summary>A blob delete that would break an image: a manifest of the repository uses the blob.</summary>
    BlobInUse,

    /// <summary>A tag list's page size that is not a whole number.</summary>
    PaginationInvalid,

    /// <summary>Too many failed sign-ins for the account or from the address; <see cref="RegistryFailureException.RetryAfter"/> says when to try again.</summary>
    TooManyRequests,

    /// <summary>The registry failed; its log says why.</summary>
    Internal,
}
