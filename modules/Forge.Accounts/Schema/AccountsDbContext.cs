using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Forge.Accounts.Schema;

/// <summary>
/// Forgejo's <c>"user"</c> table in PostgreSQL's <c>public</c> schema, with Forgejo's column and index names
/// for the columns Forge needs, so that a row reads the same in both forges.
/// </summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options)
{
    /// <summary>The table EF records this context's applied migrations in.</summary>
    public const string MigrationsHistoryTable = "__forge_accounts_migrations";

    public DbSet<User> Users => Set<User>();

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
