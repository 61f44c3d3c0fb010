using Forge.Testing;

namespace Forge.Soak.Tests;

/// <summary>A fixture with a fresh migrated database and content store per test, composed as <see cref="SoakWorld"/>.</summary>
public abstract class SoakWorldTest
{
    protected TestDatabase Database { get; private set; } = null!;
    protected SoakWorld World { get; private set; } = null!;

    [SetUp]
    public async Task CreateWorld()
    {
        Database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();
        World = await SoakWorld.CreateAsync(Database.ConnectionString, Path.Combine(Path.GetTempPath(), $"forge-soak-store-{Guid.NewGuid():N}"), CancellationToken.None);
    }

    [TearDown]
    public async Task DropWorld()
    {
        await World.DisposeAsync();
        await Database.DisposeAsync();
        if (Directory.Exists(World.StorePath))
        {
            Directory.Delete(World.StorePath, recursive: true);
        }
    }
}
