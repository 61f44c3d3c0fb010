namespace Forge.Packages.Schema;

// The shared packages schema (docs/SCHEMA.md): Forgejo's tables, column for column. Mapping to table
// and column names is in PackagesDbContext; these classes only carry the values.

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

/// <summary>An upload session in progress; its bytes live in the temporary upload folder.</summary>
public sealed class PackageBlobUpload
{
    public string Id { get; set; } = string.Empty;
    public long BytesReceived { get; set; }
    public byte[]? HashStateBytes { get; set; }
    public long CreatedUnix { get; set; }
    public long UpdatedUnix { get; set; }

    /// <summary>
    /// Forge's addition: the repository (<c>owner/image</c>, lower case) the session was started for; only that
    /// repository's requests may continue it. NULL for sessions other tools wrote.
    /// </summary>
    public string? Repository { get; set; }
}

/// <summary>What a property row belongs to: the table that <see cref="PackageProperty.RefId"/> points into.</summary>
public enum PropertyRefType : long
{
    Version = 0,
    File = 1,
    Package = 2,
}

public sealed class PackageProperty
{
    public long Id { get; set; }
    public PropertyRefType RefType { get; set; }
    public long RefId { get; set; }
    public string Name { get; set; } = string.Empty;
    public string Value { get; set; } = string.Empty;
}

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

/// <summary>
/// Forge's own table, beside Forgejo's: a content file whose <c>package_blob</c> row the expired-data
/// cleanup deleted, queued in the same transaction and dequeued once the file is gone, so that a crash
/// between the commit and the removal leaves a note for the next run instead of a stray file.
/// </summary>
public sealed class PendingContentRemoval
{
    public string HashSha256 { get; set; } = string.Empty;
    public long QueuedUnix { get; set; }
}
