using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Forge.Packages.Schema;

/// <summary>
/// The shared packages schema in PostgreSQL's <c>public</c> schema, with exactly the table and column
/// names of docs/schema.md (Forgejo's), so that rows written by either forge read the same in both.
/// </summary>
public sealed class PackagesDbContext(DbContextOptions<PackagesDbContext> options) : DbContext(options)
{
    /// <summary>The table EF records this context's applied migrations in.</summary>
    public const string MigrationsHistoryTable = "__forge_packages_migrations";

    public DbSet<Package> Packages => Set<Package>();
    public DbSet<PackageVersion> Versions => Set<PackageVersion>();
    public DbSet<PackageFile> Files => Set<PackageFile>();
    public DbSet<PackageBlob> Blobs => Set<PackageBlob>();
    public DbSet<PackageBlobUpload> BlobUploads => Set<PackageBlobUpload>();
    public DbSet<PackageProperty> Properties => Set<PackageProperty>();
    public DbSet<PackageCleanupRule> CleanupRules => Set<PackageCleanupRule>();
    public DbSet<PendingContentRemoval> PendingContentRemovals => Set<PendingContentRemoval>();
    public DbSet<PackageVersionPull> VersionPulls => Set<PackageVersionPull>();
    public DbSet<RegistryTokenKey> RegistryTokenKeys => Set<RegistryTokenKey>();

    /// <summary>
    /// The column <c>package_version.may_name_digest</c>, which Forge adds to Forgejo's schema: false when
    /// metadata_json cannot name a digest (no <c>256:</c>, which every <c>sha256:</c> digest contains in any
    /// letter case; no <c>\u</c>, the only JSON escape that can spell one), does not mention
    /// <c>manifests</c> and is plainly one object. PostgreSQL computes it on every write, whoever writes,
    /// so the container cleanup reads only the metadata that can matter instead of scanning all of it.
    /// </summary>
    public const string MayNameDigestSql =
        """strpos(metadata_json, '256:') > 0 OR strpos(metadata_json, '\u') > 0 OR metadata_json NOT LIKE '{%}' OR strpos(metadata_json, 'anifests') > 0 OR strpos(metadata_json, 'ANIFESTS') > 0""";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema("public");

        modelBuilder.Entity<Package>(e =>
        {
            e.ToTable("package");
            Id(e.Property(p => p.Id));
            e.Property(p => p.OwnerId).HasColumnName("owner_id");
            e.Property(p => p.RepoId).HasColumnName("repo_id").HasDefaultValue(0L);
            Varchar(e.Property(p => p.Type), "type");
            Varchar(e.Property(p => p.Name), "name");
            Varchar(e.Property(p => p.LowerName), "lower_name");
            e.Property(p => p.SemverCompatible).HasColumnName("semver_compatible").HasDefaultValue(false);
            e.Property(p => p.IsInternal).HasColumnName("is_internal").HasDefaultValue(false);
            e.HasIndex(p => new { p.OwnerId, p.Type, p.LowerName }).IsUnique().HasDatabaseName("UQE_package_s");
            e.HasIndex(p => p.OwnerId).HasDatabaseName("IDX_package_owner_id");
            e.HasIndex(p => p.RepoId).HasDatabaseName("IDX_package_repo_id");
            e.HasIndex(p => p.Type).HasDatabaseName("IDX_package_type");
            e.HasIndex(p => p.LowerName).HasDatabaseName("IDX_package_lower_name");
        });

        modelBuilder.Entity<PackageVersion>(e =>
        {
            e.ToTable("package_version");
            Id(e.Property(v => v.Id));
            e.Property(v => v.PackageId).HasColumnName("package_id");
            e.Property(v => v.CreatorId).HasColumnName("creator_id").HasDefaultValue(0L);
            Varchar(e.Property(v => v.Version), "version");
            Varchar(e.Property(v => v.LowerVersion), "lower_version");
            e.Property(v => v.CreatedUnix).HasColumnName("created_unix");
            e.Property(v => v.IsInternal).HasColumnName("is_internal").HasDefaultValue(false);
            e.Property(v => v.MetadataJson).HasColumnName("metadata_json").HasColumnType("text").IsRequired(false);
            e.Property(v => v.DownloadCount).HasColumnName("download_count").HasDefaultValue(0L);
            e.Property(v => v.MayNameDigest).HasColumnName("may_name_digest").HasComputedColumnSql(MayNameDigestSql, stored: true);
            e.HasIndex(v => new { v.PackageId, v.LowerVersion }).IsUnique().HasDatabaseName("UQE_package_version_s");
            e.HasIndex(v => v.PackageId).HasDatabaseName("IDX_package_version_package_id");
            e.HasIndex(v => v.LowerVersion).HasDatabaseName("IDX_package_version_lower_version");
            e.HasIndex(v => v.CreatedUnix).HasDatabaseName("IDX_package_version_created_unix");
            e.HasIndex(v => v.IsInternal).HasDatabaseName("IDX_package_version_is_internal");
        });

        modelBuilder.Entity<PackageFile>(e =>
        {
            e.ToTable("package_file");
            Id(e.Property(f => f.Id));
            e.Property(f => f.VersionId).HasColumnName("version_id");
            e.Property(f => f.BlobId).HasColumnName("blob_id");
            Varchar(e.Property(f => f.Name), "name");
            Varchar(e.Property(f => f.LowerName), "lower_name");
            e.Property(f => f.CompositeKey).HasColumnName("composite_key").HasColumnType("character varying(255)").IsRequired(false);
            e.Property(f => f.IsLead).HasColumnName("is_lead").HasDefaultValue(false);
            e.Property(f => f.CreatedUnix).HasColumnName("created_unix");
            e.HasIndex(f => new { f.VersionId, f.LowerName, f.CompositeKey }).IsUnique().HasDatabaseName("UQE_package_file_s");
            e.HasIndex(f => f.VersionId).HasDatabaseName("IDX_package_file_version_id");
            e.HasIndex(f => f.BlobId).HasDatabaseName("IDX_package_file_blob_id");
            // Added by Forge (Forgejo has none): a blob cannot be deleted while a file uses it, whatever
            // the timing of a push and the expired-data cleanup. It changes the meaning of no column.
            e.HasOne<PackageBlob>().WithMany().HasForeignKey(f => f.BlobId).OnDelete(DeleteBehavior.Restrict)
                .HasConstraintName("fk_package_file_blob_id");
            e.HasIndex(f => f.LowerName).HasDatabaseName("IDX_package_file_lower_name");
            e.HasIndex(f => f.CompositeKey).HasDatabaseName("IDX_package_file_composite_key");
            e.HasIndex(f => f.CreatedUnix).HasDatabaseName("IDX_package_file_created_unix");
        });

        modelBuilder.Entity<PackageBlob>(e =>
        {
            e.ToTable("package_blob");
            Id(e.Property(b => b.Id));
            e.Property(b => b.Size).HasColumnName("size").HasDefaultValue(0L);
            e.Property(b => b.HashMd5).HasColumnName("hash_md5").HasColumnType("character(32)");
            e.Property(b => b.HashSha1).HasColumnName("hash_sha1").HasColumnType("character(40)");
            e.Property(b => b.HashSha256).HasColumnName("hash_sha256").HasColumnType("character(64)");
            e.Property(b => b.HashSha512).HasColumnName("hash_sha512").HasColumnType("character(128)");
            e.Property(b => b.CreatedUnix).HasColumnName("created_unix");
            e.HasIndex(b => b.HashMd5).IsUnique().HasDatabaseName("UQE_package_blob_md5");
            e.HasIndex(b => b.HashSha1).IsUnique().HasDatabaseName("UQE_package_blob_sha1");
            e.HasIndex(b => b.HashSha256).IsUnique().HasDatabaseName("UQE_package_blob_sha256");
            e.HasIndex(b => b.HashSha512).IsUnique().HasDatabaseName("UQE_package_blob_sha512");
            e.HasIndex(b => b.CreatedUnix).HasDatabaseName("IDX_package_blob_created_unix");
        });

        modelBuilder.Entity<PackageBlobUpload>(e =>
        {
            e.ToTable("package_blob_upload");
            e.HasKey(u => u.Id);
            Varchar(e.Property(u => u.Id), "id");
            e.Property(u => u.BytesReceived).HasColumnName("bytes_received").HasDefaultValue(0L);
            e.Property(u => u.HashStateBytes).HasColumnName("hash_state_bytes").HasColumnType("bytea").IsRequired(false);
            e.Property(u => u.CreatedUnix).HasColumnName("created_unix");
            e.Property(u => u.UpdatedUnix).HasColumnName("updated_unix");
            e.Property(u => u.Repository).HasColumnName("repository").HasColumnType("character varying(255)").IsRequired(false);
            e.HasIndex(u => u.UpdatedUnix).HasDatabaseName("IDX_package_blob_upload_updated_unix");
        });

        modelBuilder.Entity<PackageProperty>(e =>
        {
            e.ToTable("package_property");
            Id(e.Property(p => p.Id));
            e.Property(p => p.RefType).HasColumnName("ref_type").HasConversion<long>();
            e.Property(p => p.RefId).HasColumnName("ref_id");
            Varchar(e.Property(p => p.Name), "name");
            e.Property(p => p.Value).HasColumnName("value").HasColumnType("text");
            e.HasIndex(p => p.RefType).HasDatabaseName("IDX_package_property_ref_type");
            e.HasIndex(p => p.RefId).HasDatabaseName("IDX_package_property_ref_id");
            e.HasIndex(p => p.Name).HasDatabaseName("IDX_package_property_name");
            // Forge's addition: the container cleanup reads the reference properties of every version by
            // version id; this small index answers that alone (index-only), where the ref_id index also
            // holds every file and package property that happens to share the number.
            e.HasIndex(p => p.RefId, "IDX_package_property_manifest_reference")
                .HasFilter("ref_type = 0 AND name = 'container.manifest.reference'")
                .IncludeProperties(p => p.Value);
        });

        modelBuilder.Entity<PendingContentRemoval>(e =>
        {
            e.ToTable("forge_content_removal");
            e.HasKey(r => r.HashSha256);
            e.Property(r => r.HashSha256).HasColumnName("hash_sha256").HasColumnType("character(64)");
            e.Property(r => r.QueuedUnix).HasColumnName("queued_unix");
        });

        modelBuilder.Entity<PackageVersionPull>(e =>
        {
            e.ToTable("forge_package_version_pull");
            e.HasKey(p => p.VersionId);
            e.Property(p => p.VersionId).HasColumnName("version_id").ValueGeneratedNever();
            e.Property(p => p.LastPulledUnix).HasColumnName("last_pulled_unix");
            // The pull goes with its version, whoever deletes it (a cleanup here, or Forgejo).
            e.HasOne<PackageVersion>().WithMany().HasForeignKey(p => p.VersionId).OnDelete(DeleteBehavior.Cascade)
                .HasConstraintName("fk_forge_package_version_pull_version_id");
        });

        modelBuilder.Entity<RegistryTokenKey>(e =>
        {
            e.ToTable("forge_registry_token_key");
            e.HasKey(k => k.Kid);
            e.Property(k => k.Kid).HasColumnName("kid");
            e.Property(k => k.Secret).HasColumnName("secret");
            e.Property(k => k.CreatedUnix).HasColumnName("created_unix");
            e.Property(k => k.RetiredUnix).HasColumnName("retired_unix");
            e.Property(k => k.IsCurrent).HasColumnName("is_current");
            // At most one current key: two nodes generating the first key at once insert one, the other conflicts.
            e.HasIndex(k => k.IsCurrent).IsUnique().HasFilter("is_current").HasDatabaseName("ux_forge_registry_token_key_current");
        });

        modelBuilder.Entity<PackageCleanupRule>(e =>
        {
            e.ToTable("package_cleanup_rule");
            Id(e.Property(r => r.Id));
            e.Property(r => r.Enabled).HasColumnName("enabled").HasDefaultValue(false);
            e.Property(r => r.OwnerId).HasColumnName("owner_id");
            Varchar(e.Property(r => r.Type), "type");
            e.Property(r => r.KeepCount).HasColumnName("keep_count").HasDefaultValue(0);
            Varchar(e.Property(r => r.KeepPattern), "keep_pattern").HasDefaultValue(string.Empty);
            e.Property(r => r.RemoveDays).HasColumnName("remove_days").HasDefaultValue(0);
            Varchar(e.Property(r => r.RemovePattern), "remove_pattern").HasDefaultValue(string.Empty);
            e.Property(r => r.MatchFullName).HasColumnName("match_full_name").HasDefaultValue(false);
            e.Property(r => r.CreatedUnix).HasColumnName("created_unix").HasDefaultValue(0L);
            e.Property(r => r.UpdatedUnix).HasColumnName("updated_unix").HasDefaultValue(0L);
            // Forge's addition (0 for rows Forgejo writes, which keeps Forgejo's meaning).
            e.Property(r => r.KeepPulledDays).HasColumnName("keep_pulled_days").HasDefaultValue(0);
            e.HasIndex(r => new { r.OwnerId, r.Type }).IsUnique().HasDatabaseName("UQE_package_cleanup_rule_s");
            e.HasIndex(r => r.Enabled).HasDatabaseName("IDX_package_cleanup_rule_enabled");
            e.HasIndex(r => r.OwnerId).HasDatabaseName("IDX_package_cleanup_rule_owner_id");
            e.HasIndex(r => r.Type).HasDatabaseName("IDX_package_cleanup_rule_type");
            e.HasIndex(r => r.CreatedUnix).HasDatabaseName("IDX_package_cleanup_rule_created_unix");
            e.HasIndex(r => r.UpdatedUnix).HasDatabaseName("IDX_package_cleanup_rule_updated_unix");
        });
    }

    // BIGSERIAL: an identity-less serial column, as Forgejo creates it.
    private static void Id(PropertyBuilder<long> id)
        => id.HasColumnName("id").UseSerialColumn();

    private static PropertyBuilder<string> Varchar(PropertyBuilder<string> property, string column)
        => property.HasColumnName(column).HasColumnType("character varying(255)").IsRequired();
}
