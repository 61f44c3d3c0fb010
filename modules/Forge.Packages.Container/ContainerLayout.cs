namespace Forge.Packages.Container;

/// <summary>
/// How container images are laid out in the shared packages tables (docs/schema.md): the one place that
/// names the package type, the internal upload version, the files and the properties. SQL in this module
/// writes these names in through constants, never as literals of its own.
/// </summary>
public static class ContainerLayout
{
    /// <summary><c>package.type</c> of an image repository.</summary>
    public const string PackageType = "container";

    /// <summary>
    /// The internal version (is_internal) that holds a repository's uploaded blobs until a manifest uses them;
    /// never a tag, and never served.
    /// </summary>
    public const string UploadVersion = "_upload";

    /// <summary>A digest version's name starts so (<c>sha256:&lt;64 hex&gt;</c>, lower case); any other version is a tag.</summary>
    public const string DigestPrefix = "sha256:";

    /// <summary>The lead file of a version: the manifest as the client pushed it.</summary>
    public const string ManifestFile = "manifest.json";

    /// <summary>File property: the digest of the file's blob (<c>sha256:&lt;hex&gt;</c>).</summary>
    public const string DigestProperty = "container.digest";

    /// <summary>File property: the media type the manifest declared for the blob.</summary>
    public const string MediaTypeProperty = "container.mediatype";

    /// <summary>Version property (value ''): the version was pushed by tag.</summary>
    public const string TaggedProperty = "container.manifest.tagged";

    /// <summary>Version property, one per entry of an index: the entry's digest.</summary>
    public const string ReferenceProperty = "container.manifest.reference";

    /// <summary>
    /// Version property (Forge's addition): the digest, in lower case, of the manifest this one names as its OCI 1.1
    /// <c>subject</c> (a signature, an SBOM or an attestation of that image). At most one per version.
    /// </summary>
    public const string SubjectProperty = "container.manifest.subject";

    /// <summary>Package property: the repository's full name, <c>owner/image</c> in lower case.</summary>
    public const string RepositoryProperty = "container.repository";

    /// <summary>The name of a blob's file in a version: <c>sha256_&lt;hex&gt;</c>.</summary>
    public static string BlobFileName(string hex) => "sha256_" + hex;

    /// <summary>Whether a (lower-case) version name is a digest version's.</summary>
    public static bool IsDigestVersion(string lowerVersion) => lowerVersion.StartsWith(DigestPrefix, StringComparison.Ordinal);
}
