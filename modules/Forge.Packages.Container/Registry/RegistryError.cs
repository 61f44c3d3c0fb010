namespace Forge.Packages.Container.Registry;

/// <summary>
/// A request the registry refuses, answered with the distribution specification's error body
/// <c>{"errors":[{"code","message","detail"}]}</c> and status.
/// </summary>
public sealed class RegistryException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public static RegistryException BlobUnknown(string digest) => new(404, "BLOB_UNKNOWN", $"blob {digest} is not in this repository");

    public static RegistryException BlobUploadUnknown(string id) => new(404, "BLOB_UPLOAD_UNKNOWN", $"upload {id} is unknown (finished, cancelled or expired)");

    public static RegistryException BlobUploadInvalid(string message) => new(400, "BLOB_UPLOAD_INVALID", message);

    public static RegistryException DigestInvalid(string message) => new(400, "DIGEST_INVALID", message);

    public static RegistryException ManifestBlobUnknown(string digest) => new(400, "MANIFEST_BLOB_UNKNOWN", $"the manifest references {digest}, which is not in this repository");

    public static RegistryException ManifestInvalid(string message) => new(400, "MANIFEST_INVALID", message);

    public static RegistryException ManifestUnknown(string reference) => new(404, "MANIFEST_UNKNOWN", $"manifest {reference} is not in this repository");

    public static RegistryException NameInvalid(string message) => new(400, "NAME_INVALID", message);

    public static RegistryException NameUnknown(string name) => new(404, "NAME_UNKNOWN", $"repository {name} is not known to this registry");

    public static RegistryException SizeInvalid(string message) => new(400, "SIZE_INVALID", message);

    public static RegistryException TagInvalid(string message) => new(400, "TAG_INVALID", message);

    public static RegistryException Unauthorized(string message) => new(401, "UNAUTHORIZED", message);

    public static RegistryException Denied(string message) => new(403, "DENIED", message);

    public static RegistryException Conflict(string message) => new(409, "DENIED", message);

    /// <summary>A path that is no endpoint (404), or a method its endpoint does not have (405).</summary>
    public static RegistryException Unsupported(int status, string message) => new(status, "UNSUPPORTED", message);

    public static RegistryException RangeInvalid(string message) => new(416, "BLOB_UPLOAD_INVALID", message);
}
