using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Forge.Accounts.Schema;

/// <summary>
/// Forgejo's <c>"user"</c> table in PostgreSQL's <c>public</c> schema, with Forgejo's column and index names
/// for the columns Forge needs, and Forgejo's <c>access_token</c> table column for column, so that a row reads
/// the same in both forges; beside them Forge's own <c>forge_access_token_expiry</c>.
/// </summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options)
{
    /// <summary>The table EF records this context's applied migrations in.</summary>
    public const string MigrationsHistoryTable = "__forge_accounts_migrations";

    public DbSet<User> Users => Set<User>();

    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();

    public DbSet<AccessTokenExpiry> AccessTokenExpiries => Set<AccessTokenExpiry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema("public");
        modelBuilder.Entity<User>(e =>
        {
            e.ToTable("user");
            // BIGSERIAL: an identity-less serial column, as Forgejo creates it.
            e.Property(u => u.Id).HasColumnName("id").UseSerialColumn();
            e.Property(u => u.LowerName).HasColumnName("lower_name").HasColumnType("character varying(255)").IsRequired();
            e.Property(u => u.Name).HasColumnName("name").HasColumnType("character varying(255)").IsRequired();
            e.Property(u => u.Passwd).HasColumnName("passwd").HasColumnType("character varying(255)").IsRequired();
            e.Property(u => u.PasswdHashAlgo).HasColumnName("passwd_hash_algo").HasColumnType("character varying(255)")
                .IsRequired().HasDefaultValue("argon2");
            e.Property(u => u.Salt).HasColumnName("salt").HasColumnType("character varying(32)").IsRequired();
            e.Property(u => u.CreatedUnix).HasColumnName("created_unix");
            e.Property(u => u.UpdatedUnix).HasColumnName("updated_unix");
            e.HasIndex(u => u.LowerName).IsUnique().HasDatabaseName("UQE_user_lower_name");
            e.HasIndex(u => u.Name).IsUnique().HasDatabaseName("UQE_user_name");
        });
        modelBuilder.Entity<AccessToken>(e =>
        {
            // As xorm creates Forgejo's model in PostgreSQL: strings VARCHAR(255), times BIGINT, all nullable
            // but the key and resource_all_repos; xorm's index names.
            e.ToTable("access_token");
            e.Property(t => t.Id).HasColumnName("id").UseSerialColumn();
            e.Property(t => t.Uid).HasColumnName("uid");
            e.Property(t => t.Name).HasColumnName("name").HasColumnType("character varying(255)");
            e.Property(t => t.TokenHash).HasColumnName("token_hash").HasColumnType("character varying(255)");
            e.Property(t => t.TokenSalt).HasColumnName("token_salt").HasColumnType("character varying(255)");
            e.Property(t => t.TokenLastEight).HasColumnName("token_last_eight").HasColumnType("character varying(255)");
            e.Property(t => t.Scope).HasColumnName("scope").HasColumnType("character varying(255)");
            e.Property(t => t.CreatedUnix).HasColumnName("created_unix");
            e.Property(t => t.UpdatedUnix).HasColumnName("updated_unix");
            e.Property(t => t.ResourceAllRepos).HasColumnName("resource_all_repos").HasDefaultValue(true);
            e.HasIndex(t => t.Uid).HasDatabaseName("IDX_access_token_uid");
            e.HasIndex(t => t.TokenHash).IsUnique().HasDatabaseName("UQE_access_token_token_hash");
            e.HasIndex(t => t.TokenLastEight).HasDatabaseName("IDX_access_token_token_last_eight");
            e.HasIndex(t => t.CreatedUnix).HasDatabaseName("IDX_access_token_created_unix");
            e.HasIndex(t => t.UpdatedUnix).HasDatabaseName("IDX_access_token_updated_unix");
        });
        modelBuilder.Entity<AccessTokenExpiry>(e =>
        {
            // Forge's addition: Forgejo's table stays as Forgejo has it.
            e.ToTable("forge_access_token_expiry");
            e.HasKey(x => x.AccessTokenId);
            e.Property(x => x.AccessTokenId).HasColumnName("access_token_id").ValueGeneratedNever();
            e.Property(x => x.ExpiresUnix).HasColumnName("expires_unix");
            e.HasOne<AccessToken>().WithOne().HasForeignKey<AccessTokenExpiry>(x => x.AccessTokenId)
                .OnDelete(DeleteBehavior.Cascade).HasConstraintName("FK_forge_access_token_expiry_access_token");
        });
    }
}

public static class AccountsDbContextOptions
{
    /// <summary>The one place that says how the accounts context talks to PostgreSQL.</summary>
    public static DbContextOptionsBuilder UseForgeAccounts(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
        => options.UseNpgsql(dataSource, Configure);

    internal static void Configure(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable(AccountsDbContext.MigrationsHistoryTable, "public").SetPostgresVersion(15, 0);
}

/// <summary>Used only by <c>dotnet ef migrations add</c>; never connects.</summary>
public sealed class AccountsDbContextDesignTimeFactory : IDesignTimeDbContextFactory<AccountsDbContext>
{
    public AccountsDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<AccountsDbContext>().UseNpgsql("Host=design-time-only", AccountsDbContextOptions.Configure).Options);
}
