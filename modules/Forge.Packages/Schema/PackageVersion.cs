namespace Forge.Packages.Schema;

/// <summary>One version of a package: for containers, a tag or a <c>sha256:</c> digest.</summary>
public sealed class PackageVersion
{
    public long Id { get; set; }
    public long PackageId { get; set; }
    public long CreatorId { get; set; }
    public string Version { get; set; } = string.Empty;
    public string LowerVersion { get; set; } = string.Empty;
    public long CreatedUnix { get; set; }
    public bool IsInternal { get; set; }
    public string? MetadataJson { get; set; }
    public long DownloadCount { get; set; }

    /// <summary>
    /// Computed by PostgreSQL from <see cref="MetadataJson"/> (not in Forgejo's schema): whether the text may
    /// name a digest or be damaged; null when the metadata is. See <see cref="PackagesDbContext.MayNameDigestSql"/>.
    /// </summary>
    public bool? MayNameDigest { get; private set; }
}
