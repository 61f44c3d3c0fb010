namespace Forge.Packages.Schema;

/// <summary>Content stored once per SHA-256; its bytes live in the content store.</summary>
public sealed class PackageBlob
{
    public long Id { get; set; }
    public long Size { get; set; }
    public string HashMd5 { get; set; } = string.Empty;
    public string HashSha1 { get; set; } = string.Empty;
    public string HashSha256 { get; set; } = string.Empty;
    public string HashSha512 { get; set; } = string.Empty;
    public long CreatedUnix { get; set; }
}
