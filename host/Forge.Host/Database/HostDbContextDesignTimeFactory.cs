using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Forge.Host.Database;

/// <summary>Used only by <c>dotnet ef migrations add</c>; never connects.</summary>
public sealed class HostDbContextDesignTimeFactory : IDesignTimeDbContextFactory<HostDbContext>
{
    public HostDbContext CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<HostDbContext>().UseNpgsql("Host=design-time-only", HostDbContext.Configure).Options);
}
