using System.Text;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Registry;

namespace Forge.Packages.Container.Demo;

/// <summary>
/// Builds images that no client pushed, for the demo registry, the tests, the soak and the benchmark: an image
/// manifest of given blobs, or an index of manifests already in the repository, dated as the caller says, and
/// publishes them through the registry's own write path (<see cref="ManifestPublisher"/>).
/// </summary>
public sealed class SyntheticImages(ManifestPublisher publisher)
{
    /// <summary>OCI's empty descriptor's media type: the config of an artifact that has none.</summary>
    private const string EmptyMediaType = "application/vnd.oci.empty.v1+json";

    /// <summary>Pushes an image manifest of <paramref name="config"/> and <paramref name="layers"/> by tag, or by its digest when <paramref name="tag"/> is null.</summary>
    public Task<PushedManifest> PushImageAsync(
        long ownerId, string repository, string? tag, string platform, ImageBlob config, IReadOnlyList<ImageBlob> layers,
        long? createdUnix = null, CancellationToken cancellationToken = default)
    {
        var blobs = layers.Prepend(config).ToList();
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestDocument.OciManifest,
            ["config"] = Descriptor(config),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)Descriptor(l)).ToArray()),
        };
        var metadata = new JsonObject
        {
            ["type"] = "oci",
            ["is_tagged"] = tag is not null,
            ["platform"] = platform,
            ["labels"] = new JsonObject { ["org.opencontainers.image.source"] = $"https://example.invalid/{repository}" },
            ["layer_creation"] = new JsonArray(layers.Select((_, i) => (JsonNode)$"RUN step {i + 1}").ToArray()),
        };
        var push = new ManifestPush(Encoding.UTF8.GetBytes(manifest.ToJsonString()), ManifestDocument.OciManifest, metadata, [], []);
        return publisher.PublishAsync(ownerId, repository, tag, push, blobs, createdUnix, cancellationToken);
    }

    /// <summary>Pushes an image index of manifests already in the repository, by tag or by its digest.</summary>
    public Task<PushedManifest> PushIndexAsync(
        long ownerId, string repository, string? tag, IReadOnlyList<IndexEntry> entries,
        long? createdUnix = null, CancellationToken cancellationToken = default)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestDocument.OciIndex,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject
            {
                ["mediaType"] = ManifestDocument.OciManifest,
                ["digest"] = e.Digest,
                ["platform"] = PlatformNode(e.Platform),
            }).ToArray()),
        };
        var metadata = new JsonObject
        {
            ["type"] = "oci",
            ["is_tagged"] = tag is not null,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject
            {
                ["platform"] = e.Platform,
                ["digest"] = e.Digest,
                ["size"] = 0,
            }).ToArray()),
        };
        var push = new ManifestPush(Encoding.UTF8.GetBytes(manifest.ToJsonString()), ManifestDocument.OciIndex, metadata, [], [.. entries.Select(e => e.Digest)]);
        return publisher.PublishAsync(ownerId, repository, tag, push, [], createdUnix, cancellationToken);
    }

    /// <summary>
    /// Pushes by digest an OCI 1.1 referrer of the manifest <paramref name="subjectDigest"/> as cosign writes a signature or
    /// an SBOM: an image manifest with an <c>artifactType</c>, the empty config <c>{}</c>, <paramref name="payload"/> as its
    /// one layer, and the subject descriptor. The subject need not be in the repository.
    /// </summary>
    public Task<PushedManifest> PushReferrerAsync(
        long ownerId, string repository, string subjectDigest, string artifactType, ImageBlob payload,
        long? createdUnix = null, CancellationToken cancellationToken = default)
    {
        var config = new ImageBlob("{}"u8.ToArray(), EmptyMediaType);
        var annotations = new JsonObject { ["org.opencontainers.image.created"] = "2026-01-01T00:00:00Z" };
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestDocument.OciManifest,
            ["artifactType"] = artifactType,
            ["config"] = Descriptor(config),
            ["layers"] = new JsonArray(Descriptor(payload)),
            ["subject"] = new JsonObject { ["mediaType"] = ManifestDocument.OciManifest, ["digest"] = subjectDigest, ["size"] = 0 },
            ["annotations"] = annotations,
        };
        var metadata = new JsonObject { ["type"] = "oci", ["is_tagged"] = false, ["annotations"] = annotations.DeepClone() };
        var push = new ManifestPush(Encoding.UTF8.GetBytes(manifest.ToJsonString()), ManifestDocument.OciManifest, metadata, [], [], subjectDigest);
        return publisher.PublishAsync(ownerId, repository, null, push, [config, payload], createdUnix, cancellationToken);
    }

    private static JsonObject Descriptor(ImageBlob blob)
        => new() { ["mediaType"] = blob.MediaType, ["digest"] = RegistryReferences.DigestOf(blob.Sha256), ["size"] = blob.Content.Length };

    private static JsonObject PlatformNode(string platform)
    {
        var parts = platform.Split('/');
        var node = new JsonObject { ["os"] = parts[0], ["architecture"] = parts.Length > 1 ? parts[1] : "unknown" };
        if (parts.Length > 2)
        {
            node["variant"] = parts[2];
        }

        return node;
    }
}
