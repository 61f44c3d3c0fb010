namespace Forge.Packages.Schema;

/// <summary>A per-owner retention rule. Part of the schema; rules are not executed yet.</summary>
public sealed class PackageCleanupRule
{
    public long Id { get; set; }
    public bool Enabled { get; set; }
    public long OwnerId { get; set; }
    public string Type { get; set; } = string.Empty;
    public int KeepCount { get; set; }
    public string KeepPattern { get; set; } = string.Empty;
    public int RemoveDays { get; set; }
    public string RemovePattern { get; set; } = string.Empty;
    public bool MatchFullName { get; set; }
    public long CreatedUnix { get; set; }
    public long UpdatedUnix { get; set; }
}
