using System.Text.Json.Nodes;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// A manifest to publish: its exact bytes (the digest is theirs), its media type, its metadata_json (an index's
/// <c>manifests</c> sizes are filled in when it is published), the blobs of an image manifest, and the manifests
/// an index names, and the digest of the manifest it names as its OCI 1.1 <c>subject</c>, if any.
/// </summary>
public sealed record ManifestPush(
    byte[] Content, string MediaType, JsonObject Metadata, IReadOnlyList<ManifestBlob> Blobs, IReadOnlyList<string> Entries, string? Subject = null);
