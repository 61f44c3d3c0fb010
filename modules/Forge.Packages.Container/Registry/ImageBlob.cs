using System.Security.Cryptography;

namespace Forge.Packages.Container.Registry;

/// <summary>Content that a push brings with its manifest and that is stored with it (a synthetic image's config or a layer).</summary>
public sealed record ImageBlob(byte[] Content, string MediaType)
{
    /// <summary>The content's SHA-256 in lower-case hex, hashed once.</summary>
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Content));
}
