using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Forge.Packages.Schema;

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
