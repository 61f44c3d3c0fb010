using System.Text.Json.Nodes;

namespace Forge.Tooling.Oci;

/// <summary>A platform of a multi-platform image: <c>linux/amd64</c>, <c>linux/arm64</c>, <c>linux/arm/v7</c>.</summary>
public sealed record OciPlatform(string Os, string Architecture, string? Variant = null)
{
    public static readonly OciPlatform LinuxAmd64 = new("linux", "amd64");
    public static readonly OciPlatform LinuxArm64 = new("linux", "arm64");
    public static readonly OciPlatform LinuxArmV7 = new("linux", "arm", "v7");

    /// <summary>The platforms an image of <see cref="OciLayout.WriteImage(string, RandomImage)"/> takes the first of, in this order.</summary>
    public static IReadOnlyList<OciPlatform> All { get; } =
    [
        LinuxAmd64, LinuxArm64, LinuxArmV7, new("linux", "ppc64le"),
        new("linux", "s390x"), new("linux", "386"), new("linux", "riscv64"), new("linux", "arm", "v6"),
    ];

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
