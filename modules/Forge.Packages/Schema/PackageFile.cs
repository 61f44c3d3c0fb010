namespace Forge.Packages.Schema;

public sealed class PackageFile
{
    public long Id { get; set; }
    public long VersionId { get; set; }
    public long BlobId { get; set; }
    public string Name { get; set; } = string.Empty;
    public string LowerName { get; set; } = string.Empty;
    public string? CompositeKey { get; set; } = string.Empty;
    public bool IsLead { get; set; }
    public long CreatedUnix { get; set; }
}
