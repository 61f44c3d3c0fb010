using System.Text.Json;
using System.Text.Json.Nodes;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// Reads a manifest a client pushes: an OCI or Docker v2 image manifest, or an OCI image index or Docker
/// manifest list. Checks what the registry relies on (schema version, media type, descriptors with sha256
/// digests) and builds the metadata_json docs/schema.md describes.
/// </summary>
public static class ManifestDocument
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string HelmConfig = "application/vnd.cncf.helm.config.v1+json";

    /// <summary>The largest manifest accepted (the specification asks registries to take at least 4 MiB).</summary>
    public const int MaxSize = 4 * 1024 * 1024;

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerList;

    /// <summary>
    /// The blobs (config and layers) and index entries of a manifest, before its metadata is known, and the digest of
    /// its OCI 1.1 <c>subject</c> (which need not be in the repository yet).
    /// </summary>
    public sealed record Parsed(
        string MediaType, JsonObject Root, ManifestBlob? Config, IReadOnlyList<ManifestBlob> Layers, IReadOnlyList<(string Digest, string Platform)> Entries,
        string? Subject = null);

    public static Parsed Parse(byte[] content, string? contentType)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(content, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
                ?? throw RegistryFailureException.ManifestInvalid("the manifest is not a JSON object");
        }
        catch (JsonException e)
        {
            throw RegistryFailureException.ManifestInvalid($"the manifest is not valid JSON: {e.Message}");
        }

        if (Number(root, "schemaVersion") != 2)
        {
            throw RegistryFailureException.ManifestInvalid("schemaVersion must be 2 (Docker schema 1 manifests are not supported)");
        }

        var declared = Text(root, "mediaType");
        var type = MediaTypeOf(contentType);
        if (declared is not null && type is not null && !string.Equals(declared, type, StringComparison.Ordinal))
        {
            throw RegistryFailureException.ManifestInvalid($"the manifest's mediaType is {declared}, but it was sent as {type}");
        }

        var mediaType = declared ?? type ?? (root.ContainsKey("manifests") ? OciIndex : OciManifest);
        var subject = root["subject"] is null ? null : Descriptor(root["subject"], "subject").Digest;
        switch (mediaType)
        {
            case OciIndex or DockerList:
                var manifests = root["manifests"] as JsonArray ?? throw RegistryFailureException.ManifestInvalid("an image index needs a 'manifests' array");
                var entries = manifests.Select((m, i) => (Descriptor(m, $"manifests[{i}]").Digest, PlatformOf(m?["platform"]))).ToList();
                return new Parsed(mediaType, root, null, [], entries, subject);
            case OciManifest or DockerManifest:
                var config = Descriptor(root["config"], "config");
                var layers = root["layers"] is JsonArray list
                    ? list.Select((l, i) => (Node: l, Descriptor: Descriptor(l, $"layers[{i}]")))
                        // A foreign layer (Windows base images) is fetched from its URLs, never pushed here.
                        .Where(l => l.Node?["urls"] is not JsonArray { Count: > 0 })
                        .Select(l => l.Descriptor).ToList()
                    : throw RegistryFailureException.ManifestInvalid("an image manifest needs a 'layers' array");
                return new Parsed(mediaType, root, config, layers, [], subject);
            default:
                throw RegistryFailureException.ManifestInvalid(
                    $"media type '{mediaType}' is not supported: push an OCI or Docker v2 image manifest, image index or manifest list");
        }
    }

    /// <summary>The metadata_json of a pushed manifest; <paramref name="config"/> is its config blob, when readable.</summary>
    public static JsonObject Metadata(Parsed parsed, bool tagged, byte[]? config)
    {
        var metadata = new JsonObject
        {
            ["type"] = parsed.Config?.MediaType == HelmConfig ? "helm" : "oci",
            ["is_tagged"] = tagged,
        };
        if (IsIndex(parsed.MediaType))
        {
            metadata["manifests"] = new JsonArray(parsed.Entries.Select(e => (JsonNode)new JsonObject
            {
                ["platform"] = e.Platform,
                ["digest"] = e.Digest,
                ["size"] = 0,
            }).ToArray());
        }
        else if (ReadConfig(config) is { } image)
        {
            if (Text(image, "os") is { } os && Text(image, "architecture") is { } architecture)
            {
                metadata["platform"] = Text(image, "variant") is { Length: > 0 } variant ? $"{os}/{architecture}/{variant}" : $"{os}/{architecture}";
            }

            var labels = (image["config"] as JsonObject)?["Labels"] as JsonObject;
            if (labels is not null && labels.Count > 0)
            {
                metadata["labels"] = labels.DeepClone();
                Copy(labels, "org.opencontainers.image.description", metadata, "description");
                Copy(labels, "org.opencontainers.image.authors", metadata, "authors");
                Copy(labels, "org.opencontainers.image.licenses", metadata, "license");
                Copy(labels, "org.opencontainers.image.url", metadata, "project_url");
                Copy(labels, "org.opencontainers.image.source", metadata, "repository_url");
                Copy(labels, "org.opencontainers.image.documentation", metadata, "documentation_url");
            }

            if (image["history"] is JsonArray history)
            {
                metadata["layer_creation"] = new JsonArray(history.OfType<JsonObject>()
                    .Select(h => Text(h, "created_by")).Where(c => c is not null).Select(c => (JsonNode)c!).ToArray());
            }
        }

        if (parsed.Root["annotations"] is JsonObject annotations && annotations.Count > 0)
        {
            metadata["annotations"] = annotations.DeepClone();
        }

        return metadata;
    }

    private static JsonObject? ReadConfig(byte[]? config)
    {
        if (config is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(config, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject;
        }
        catch (JsonException)
        {
            // An artifact's config need not be an image config; the manifest is stored all the same.
            return null;
        }
    }

    private static void Copy(JsonObject labels, string label, JsonObject metadata, string key)
    {
        if (Text(labels, label) is { Length: > 0 } value)
        {
            metadata[key] = value;
        }
    }

    private static ManifestBlob Descriptor(JsonNode? node, string where)
    {
        if (node is not JsonObject descriptor)
        {
            throw RegistryFailureException.ManifestInvalid($"{where} must be a descriptor object");
        }

        var mediaType = Text(descriptor, "mediaType") ?? throw RegistryFailureException.ManifestInvalid($"{where} has no mediaType");
        if (Number(descriptor, "size") is not >= 0)
        {
            throw RegistryFailureException.ManifestInvalid($"{where} needs a size of zero or more bytes");
        }

        string digest;
        try
        {
            digest = RegistryReferences.ParseDigest(Text(descriptor, "digest"));
        }
        catch (RegistryFailureException e)
        {
            throw RegistryFailureException.ManifestInvalid($"{where}: {e.Message}");
        }

        return new ManifestBlob(digest, mediaType);
    }

    private static string PlatformOf(JsonNode? platform)
    {
        if (platform is not JsonObject p || Text(p, "os") is not { } os || Text(p, "architecture") is not { } architecture)
        {
            return "unknown/unknown";
        }

        return Text(p, "variant") is { Length: > 0 } variant ? $"{os}/{architecture}/{variant}" : $"{os}/{architecture}";
    }

    private static string? MediaTypeOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        // Generic types say nothing about the manifest; its own mediaType (or its shape) decides.
        return type is "application/json" or "application/octet-stream" or "" ? null : type;
    }

    private static string? Text(JsonObject node, string key)
        => node[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static long? Number(JsonObject node, string key)
        => node[key] is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;
}
