using System.Security.Cryptography;
using Forge.Accounts;
using Forge.Packages.Container.Data;
using Forge.Packages.Content;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// A manifest a client pushes: its digest checked against the reference it was pushed by, its document checked
/// and read (<see cref="ManifestDocument"/>), its metadata_json built (with what its config blob says), and the
/// whole published by <see cref="ManifestPublisher"/>.
/// </summary>
public sealed class ManifestPushes(RegistryStore registry, IContentStore store, ManifestPublisher publisher)
{
    /// <summary>
    /// Publishes <paramref name="content"/> to <paramref name="name"/> by tag, or by digest when
    /// <paramref name="byDigest"/> (which must then be the content's digest). Returns the push and whether it was an index.
    /// </summary>
    public async Task<(PushedManifest Pushed, bool IsIndex)> PushAsync(
        Account owner, RepositoryName name, string reference, bool byDigest, byte[] content, string? contentType, CancellationToken cancellationToken)
    {
        var digest = RegistryReferences.DigestOf(Convert.ToHexStringLower(SHA256.HashData(content)));
        if (byDigest && !string.Equals(digest, reference, StringComparison.Ordinal))
        {
            throw RegistryFailureException.DigestInvalid($"the manifest's content has digest {digest}, not {reference}");
        }

        var parsed = ManifestDocument.Parse(content, contentType);
        var config = parsed.Config is { } descriptor ? await ReadConfigAsync(owner, name, descriptor.Digest, cancellationToken) : null;
        var metadata = ManifestDocument.Metadata(parsed, tagged: !byDigest, config);
        var blobs = parsed.Config is null ? parsed.Layers : [parsed.Config, .. parsed.Layers];
        var push = new ManifestPush(content, parsed.MediaType, metadata, blobs, [.. parsed.Entries.Select(e => e.Digest)], parsed.Subject);
        var pushed = await publisher.PublishAsync(owner.Id, name.Full, byDigest ? null : reference, push, [], null, cancellationToken);
        return (pushed, ManifestDocument.IsIndex(parsed.MediaType));
    }

    /// <summary>The config blob's bytes, for the metadata; null when the package lacks it (the push then fails) or it is too large to be a config.</summary>
    private async Task<byte[]?> ReadConfigAsync(Account owner, RepositoryName name, string digest, CancellationToken cancellationToken)
    {
        var hex = RegistryReferences.HexOf(digest);
        if (await registry.FindPackageAsync(owner.Id, name.Image, cancellationToken) is not long package
            || await registry.FindBlobAsync(package, hex, cancellationToken) is not (>= 0 and <= ManifestDocument.MaxSize))
        {
            return null;
        }

        await using var content = await store.OpenReadAsync(hex, cancellationToken);
        if (content is null)
        {
            return null;
        }

        var bytes = new byte[content.Length];
        await content.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }
}
