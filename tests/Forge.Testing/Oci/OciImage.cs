using System.Text.Json.Nodes;

namespace Forge.Testing.Oci;

/// <summary>A blob as a manifest or an index names it.</summary>
public sealed record OciDescriptor(string MediaType, string Digest, long Size);

/// <summary>A platform of a multi-platform image: <c>linux/amd64</c>, <c>linux/arm64</c>, <c>linux/arm/v7</c>.</summary>
public sealed record OciPlatform(string Os, string Architecture, string? Variant = null)
{
    public static readonly OciPlatform LinuxAmd64 = new("linux", "amd64");
    public static readonly OciPlatform LinuxArm64 = new("linux", "arm64");
    public static readonly OciPlatform LinuxArmV7 = new("linux", "arm", "v7");

    /// <summary>The platforms <see cref="OciLayout.WriteImage"/> takes the first of, in this order.</summary>
    public static IReadOnlyList<OciPlatform> All { get; } = [LinuxAmd64, LinuxArm64, LinuxArmV7];

    public string Name => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>The <c>platform</c> object of an index entry (also the head of an image config).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["architecture"] = Architecture, ["os"] = Os };
        if (Variant is not null)
        {
            json["variant"] = Variant;
        }

        return json;
    }
}

/// <summary>One platform's image manifest with its config and layers.</summary>
public sealed record OciPlatformImage(OciPlatform Platform, OciDescriptor Manifest, OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers);

/// <summary>A tagged image index and everything it references, as <see cref="OciLayout.WriteImage"/> wrote it.</summary>
public sealed record OciImage(string Tag, OciDescriptor Index, IReadOnlyList<OciPlatformImage> Platforms)
{
    /// <summary>Every digest of the image: the index, then each platform's manifest, config and layers.</summary>
    public IReadOnlyList<string> Digests
        => [Index.Digest, .. Platforms.SelectMany(p => new[] { p.Manifest.Digest, p.Config.Digest }.Concat(p.Layers.Select(l => l.Digest)))];
}
