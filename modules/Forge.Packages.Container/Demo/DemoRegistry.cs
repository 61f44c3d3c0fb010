using System.Security.Cryptography;
using System.Text;
using Forge.Packages.Container.Registry;

namespace Forge.Packages.Container.Demo;

/// <summary>What the demo loaded, for the command's output.</summary>
public sealed record DemoSummary(IReadOnlyList<string> Lines);

/// <summary>
/// Loads a small registry that shows every case the cleanup tells apart, through the registry's write path:
/// a re-pushed multi-platform tag, a second tag on the same index, a single-platform image with a signature, an SBOM
/// of a platform manifest that went dangling, a mirror abandoned before its index, a sync whose index was pushed just
/// now, and a nested index.
/// </summary>
public sealed class DemoRegistry(SyntheticImages images, TimeProvider time)
{
    private const string ConfigType = "application/vnd.oci.image.config.v1+json";
    private const string LayerType = "application/vnd.oci.image.layer.v1.tar+gzip";
    private const string SignatureType = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const string SbomType = "application/spdx+json";

    public async Task<DemoSummary> LoadAsync(long ownerId, string owner, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var days = (int d) => now - (d * 86_400L);
        var lines = new List<string>();

        // A tag pushed three days ago and pushed again with new content two days ago: the first
        // content's platform manifests are dangling and old.
        var app = $"{owner}/app";
        var first = await MultiPlatformAsync(ownerId, app, "v1", days(3), cancellationToken);
        var second = await MultiPlatformAsync(ownerId, app, "v1", days(2), cancellationToken);
        await images.PushIndexAsync(ownerId, app, "latest", second, days(2), cancellationToken);
        // An SBOM of one of the first content's platform manifests: a referrer of a dangling manifest goes with it.
        var sbom = await images.PushReferrerAsync(ownerId, app, first[0].Digest, SbomType, Layer(), days(3), cancellationToken);
        lines.Add($"{app}: tag v1 pushed 3 days ago and re-pushed 2 days ago; 'latest' names the new content. Dangling: {Digests(first)}, " +
                  $"and the SBOM {Short(sbom.Digest)} of {Short(first[0].Digest)}");

        // A signature of a tag, by the digest of the tag's manifest, as cosign signs image:tag: it lives while the tag does.
        var tool = $"{owner}/tool";
        var release = await images.PushImageAsync(ownerId, tool, "1.0", "linux/amd64", Config("tool"), [Layer(), Layer()], days(3), cancellationToken);
        var signature = await images.PushReferrerAsync(ownerId, tool, release.Digest, SignatureType, Layer(), days(3), cancellationToken);
        lines.Add($"{tool}: single-platform tag 1.0 and its signature {Short(signature.Digest)}, nothing dangling");

        // A mirror that pushed its platform manifests two days ago and died before the index.
        var mirror = $"{owner}/mirror";
        var abandoned = await PlatformsAsync(ownerId, mirror, days(2), cancellationToken);
        lines.Add($"{mirror}: mirror abandoned 2 days ago before its index. Dangling: {Digests(abandoned)}");

        // A sync in progress: old platform manifests, the index pushed by digest just now.
        var sync = $"{owner}/sync";
        var syncing = await PlatformsAsync(ownerId, sync, days(2), cancellationToken);
        var index = await images.PushIndexAsync(ownerId, sync, null, syncing, now, cancellationToken);
        lines.Add($"{sync}: sync in progress, index {Short(index.Digest)} pushed now by digest; its old children are kept until it is old too");

        // A nested index: the tag names an index pushed by digest, which names the platform manifests.
        var nested = $"{owner}/nested";
        var inner = await PlatformsAsync(ownerId, nested, days(3), cancellationToken);
        var innerIndex = await images.PushIndexAsync(ownerId, nested, null, inner, days(3), cancellationToken);
        await images.PushIndexAsync(ownerId, nested, "v2", [new IndexEntry(innerIndex.Digest, "linux/amd64")], days(3), cancellationToken);
        lines.Add($"{nested}: tag v2 -> index {Short(innerIndex.Digest)} (by digest) -> 2 platform manifests, all kept");
        return new DemoSummary(lines);
    }

    private async Task<List<IndexEntry>> MultiPlatformAsync(long ownerId, string repository, string tag, long created, CancellationToken cancellationToken)
    {
        var platforms = await PlatformsAsync(ownerId, repository, created, cancellationToken);
        await images.PushIndexAsync(ownerId, repository, tag, platforms, created, cancellationToken);
        return platforms;
    }

    private async Task<List<IndexEntry>> PlatformsAsync(long ownerId, string repository, long created, CancellationToken cancellationToken)
    {
        var entries = new List<IndexEntry>();
        foreach (var platform in new[] { "linux/amd64", "linux/arm64" })
        {
            var pushed = await images.PushImageAsync(ownerId, repository, null, platform, Config(platform), [Layer(), Layer(), Layer()], created, cancellationToken);
            entries.Add(new IndexEntry(pushed.Digest, platform));
        }

        return entries;
    }

    private static ImageBlob Config(string label)
        => new(Encoding.UTF8.GetBytes($"{{\"architecture\":\"{label}\",\"nonce\":\"{Guid.NewGuid():N}\"}}"), ConfigType);

    private static ImageBlob Layer() => new(RandomNumberGenerator.GetBytes(2048), LayerType);

    private static string Digests(IEnumerable<IndexEntry> entries) => string.Join(", ", entries.Select(e => Short(e.Digest)));

    private static string Short(string digest) => digest[..19];
}
