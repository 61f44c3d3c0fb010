namespace Forge.Tooling.Oci;

/// <summary>A tagged image index and everything it references, as <see cref="OciLayout.WriteImage(string, RandomImage)"/> wrote it.</summary>
public sealed record OciImage(string Tag, OciDescriptor Index, IReadOnlyList<OciPlatformImage> Platforms)
{
    /// <summary>Every digest of the image: the index, then each platform's manifest, config and layers.</summary>
    public IReadOnlyList<string> Digests
        => [Index.Digest, .. Platforms.SelectMany(p => new[] { p.Manifest.Digest, p.Config.Digest }.Concat(p.Layers.Select(l => l.Digest)))];
}
