namespace Forge.Packages.Schema;

/// <summary>An owner's retention rule for one package type (Forgejo's table; one rule per owner and type).</summary>
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

    /// <summary>
    /// Forge's addition: keep every version pulled within this many days (0: pulls do not keep a version).
    /// Rows Forgejo writes have 0, so they behave as in Forgejo.
    /// </summary>
    public int KeepPulledDays { get; set; }
}
