using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Data;
using Forge.Packages.Content;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// One page of a manifest's referrers, in digest order: the descriptors of the referrer manifests (of the page's
/// artifact types, when asked for some), and the digest a next page starts after (null when none can follow).
/// </summary>
public sealed record ReferrerPage(IReadOnlyList<JsonObject> Descriptors, string? NextAfter)
{
    // Media types ("...+json") and annotations as written, not as \u escapes: the body is JSON for clients, never HTML.
    internal static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The page as the distribution specification answers it: an OCI image index of the descriptors.</summary>
    public string ToIndexJson() => new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = ManifestDocument.OciIndex,
        ["manifests"] = new JsonArray([.. Descriptors]),
    }.ToJsonString(Json);
}

/// <summary>
/// The referrers of a manifest (the manifests of a repository that name it as their OCI 1.1 <c>subject</c>), a page at
/// a time, each described as the distribution specification's referrers list wants it: its media type, digest and
/// size, its <c>artifactType</c> (an image manifest without one gets its config's media type; an index without one
/// gets none) and its annotations. The rows come from <see cref="ManifestReferrers"/>; artifact type and annotations
/// from the manifest's stored bytes, which a page reads one at a time and at most <see cref="MaxPerPage"/> of.
/// </summary>
public sealed class ReferrerPages(ManifestReferrers referrers, IContentStore store)
{
    /// <summary>The most referrers a page lists, and the most manifests one request reads while filtering.</summary>
    public const int MaxPerPage = 1000;

    // A page stops growing once its descriptors pass this size, so that a client that reads it under its limit for a
    // manifest (4 MiB is common) can: annotations of signatures and attestations can be kilobytes each.
    private const int MaxPageBytes = 1024 * 1024;

    /// <summary>
    /// The referrers of <paramref name="subject"/> in the package after <paramref name="after"/>, at most
    /// <paramref name="limit"/>, only those whose artifact type is one of <paramref name="artifactTypes"/> when any
    /// are given. A page may be shorter than the limit while more follow (filtered out, or past the size bound):
    /// <see cref="ReferrerPage.NextAfter"/> says where to go on.
    /// </summary>
    public async Task<ReferrerPage> ReadAsync(
        long packageId, string subject, IReadOnlyCollection<string> artifactTypes, string? after, int limit, CancellationToken cancellationToken)
    {
        var descriptors = new List<JsonObject>();
        var bytes = 0;
        var read = 0;
        var cursor = after;
        var more = limit > 0;
        var full = false;
        while (more && !full && descriptors.Count < limit && read < MaxPerPage)
        {
            // One row beyond what is wanted tells whether more follow, without reading its manifest.
            var wanted = Math.Min(limit - descriptors.Count, MaxPerPage - read);
            var rows = await referrers.ListAsync(packageId, subject, cursor, wanted + 1, cancellationToken);
            more = rows.Count > wanted;
            foreach (var row in rows.Take(wanted))
            {
                read++;
                if (await DescribeAsync(row, cancellationToken) is { } descriptor && Matches(descriptor, artifactTypes))
                {
                    var size = Encoding.UTF8.GetByteCount(descriptor.ToJsonString(ReferrerPage.Json));
                    if (descriptors.Count > 0 && bytes + size > MaxPageBytes)
                    {
                        // This one opens the next page.
                        more = full = true;
                        break;
                    }

                    descriptors.Add(descriptor);
                    bytes += size;
                }

                cursor = row.Digest;
            }
        }

        return new ReferrerPage(descriptors, more ? cursor : null);
    }

    private static bool Matches(JsonObject descriptor, IReadOnlyCollection<string> artifactTypes)
        => artifactTypes.Count == 0 || (Text(descriptor, "artifactType") is { } type && artifactTypes.Contains(type));

    /// <summary>The referrer's descriptor; null when its manifest cannot be read (content gone, not JSON), as it cannot be pulled either.</summary>
    private async Task<JsonObject?> DescribeAsync(StoredReferrer referrer, CancellationToken cancellationToken)
    {
        if (referrer.Size > ManifestDocument.MaxSize || await ReadManifestAsync(referrer.Digest, cancellationToken) is not { } manifest)
        {
            return null;
        }

        var mediaType = referrer.MediaType.Length > 0 ? referrer.MediaType : Text(manifest, "mediaType") ?? ManifestDocument.OciManifest;
        var descriptor = new JsonObject
        {
            ["mediaType"] = mediaType,
            ["digest"] = referrer.Digest,
            ["size"] = referrer.Size,
        };
        var artifactType = Text(manifest, "artifactType");
        if (string.IsNullOrEmpty(artifactType) && !ManifestDocument.IsIndex(mediaType) && manifest["config"] is JsonObject config)
        {
            artifactType = Text(config, "mediaType");
        }

        if (!string.IsNullOrEmpty(artifactType))
        {
            descriptor["artifactType"] = artifactType;
        }

        if (manifest["annotations"] is JsonObject { Count: > 0 } annotations)
        {
            descriptor["annotations"] = annotations.DeepClone();
        }

        return descriptor;
    }

    private async Task<JsonObject?> ReadManifestAsync(string digest, CancellationToken cancellationToken)
    {
        var hex = RegistryReferences.HexOf(digest);
        if (!ContentKeys.IsSha256Hex(hex))
        {
            // A row another tool wrote with a hash in another form: no file of the store is named so.
            return null;
        }

        await using var content = await store.OpenReadAsync(hex, cancellationToken);
        if (content is null || content.Length > ManifestDocument.MaxSize)
        {
            return null;
        }

        var bytes = new byte[content.Length];
        await content.ReadExactlyAsync(bytes, cancellationToken);
        try
        {
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonObject node, string key)
        => node[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
