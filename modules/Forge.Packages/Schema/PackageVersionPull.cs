namespace Forge.Packages.Schema;

/// <summary>
/// Forge's own table, beside Forgejo's: when a version was last pulled (for containers, a manifest GET by tag or
/// digest), for the retention rules' <c>keep_pulled_days</c>. Written coalesced, at most once per version per few
/// minutes; a version's row goes with the version.
/// </summary>
public sealed class PackageVersionPull
{
    public long VersionId { get; set; }
    public long LastPulledUnix { get; set; }
}
