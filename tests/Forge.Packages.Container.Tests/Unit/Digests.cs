using System.Security.Cryptography;
using System.Text;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>Stable, distinct <c>sha256:&lt;64 hex&gt;</c> digests named after what they stand for.</summary>
internal static class Digests
{
    public static readonly string Amd64 = Of("amd64");
    public static readonly string Arm64 = Of("arm64");
    public static readonly string InnerIndex = Of("inner index");
    public static readonly string OuterIndex = Of("outer index");

    public static string Of(string name)
        => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    /// <summary>The same digest with its hex digits (not its prefix) in upper case.</summary>
    public static string WithUpperHex(string digest) => "sha256:" + digest["sha256:".Length..].ToUpperInvariant();
}

/// <summary>Container metadata_json as Forgejo writes it (compact), for images and image indexes.</summary>
internal static class Metadata
{
    public static string Image(string platform = "linux/amd64") => $$"""{"type":"oci","is_tagged":false,"platform":"{{platform}}"}""";

    public static string Index(params string[] digests)
        => """{"type":"oci","is_tagged":true,"manifests":[""" +
           string.Join(',', digests.Select((d, i) => $$"""{"platform":"linux/arch{{i}}","digest":"{{d}}","size":{{1000 + i}}}""")) +
           "]}";
}
