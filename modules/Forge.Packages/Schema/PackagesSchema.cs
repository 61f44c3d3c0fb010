using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace Forge.Packages.Schema;

public static class PackagesDbContextOptions
{
    /// <summary>The one place that says how the packages context talks to PostgreSQL.</summary>
    public static DbContextOptionsBuilder UseForgePackages(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
        => options.UseNpgsql(dataSource, Configure);

    internal static void Configure(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable(PackagesDbContext.MigrationsHistoryTable, "public").SetPostgresVersion(15, 0);
}

/// <summary>Used only by <c>dotnet ef migrations add</c>; never connects.</summary>
public sealed class PackagesDbContextDesignTimeFactory : IDesignTimeDbContextFactory<PackagesDbContext>
{
    public PackagesDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PackagesDbContext>()
            .UseNpgsql("Host=design-time-only", PackagesDbContextOptions.Configure)
            .Options;
        return new PackagesDbContext(options);
    }
}
