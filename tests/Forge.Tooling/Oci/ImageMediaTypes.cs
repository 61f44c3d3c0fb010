namespace Forge.Tooling.Oci;

/// <summary>
/// The media types of container images, OCI's and Docker's, as clients send them and as the tests, the benchmark and
/// the soak write them. Spelled out here rather than taken from Forge's registry, so that what checks the registry
/// does not share its spelling mistakes.
/// </summary>
public static class ImageMediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";

    /// <summary>The empty descriptor of OCI 1.1 (its blob is <c>{}</c>): the config of artifacts that have none of their own.</summary>
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    /// <summary>A gzip'ed tar layer.</summary>
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>Docker's manifest list (image manifest version 2, schema 2), its counterpart of <see cref="OciIndex"/>.</summary>
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>Docker's old schema 1 manifest, which registries refuse today.</summary>
    public const string DockerSchema1Manifest = "application/vnd.docker.distribution.manifest.v1+json";
}
