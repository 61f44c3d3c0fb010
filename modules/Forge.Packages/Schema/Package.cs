namespace Forge.Packages.Schema;

/// <summary>A package: for containers, one image repository (<c>owner/image</c>).</summary>
public sealed class Package
{
    public long Id { get; set; }
    public long OwnerId { get; set; }
    public long RepoId { get; set; }
    public string Type { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string LowerName { get; set; } = string.Empty;
    public bool SemverCompatible { get; set; }
    public bool IsInternal { get; set; }
}
