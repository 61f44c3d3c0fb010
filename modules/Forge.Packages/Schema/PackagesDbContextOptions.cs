using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Forge.Packages.Schema;

/// <summary>How the packages context talks to PostgreSQL, for the module and the design-time factory alike.</summary>
public static class PackagesDbContextOptions
{
    /// <summary>The one place that says how the packages context talks to PostgreSQL.</summary>
    public static DbContextOptionsBuilder UseForgePackages(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
        => options.UseNpgsql(dataSource, Configure);

    internal static void Configure(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable(PackagesDbContext.MigrationsHistoryTable, "public").SetPostgresVersion(15, 0);
}
