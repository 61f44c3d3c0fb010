using Forge.Tooling.Oci;

namespace Forge.Bench.Registry;

/// <summary>What <see cref="RegistryBench.WriteImage"/> wrote: the tag, the index's digest, and the number and bytes of the blobs.</summary>
public sealed record BenchImageSummary(string Tag, string IndexDigest, int Platforms, int Layers, long LayerBytes, int Blobs)
{
    public static BenchImageSummary Of(OciImage image)
        => new(
            image.Tag,
            image.Index.Digest,
            image.Platforms.Count,
            image.Platforms.Sum(p => p.Layers.Count),
            image.Platforms.Sum(p => p.Layers.Sum(l => l.Size)),
            image.Digests.Count);
}
