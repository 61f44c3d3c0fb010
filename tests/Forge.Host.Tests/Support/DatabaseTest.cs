using Forge.Testing;

namespace Forge.Host.Tests.Support;

/// <summary>A fixture whose every test gets a database of its own, dropped after it: no test sees another's rows.</summary>
[NonParallelizable]
public abstract class DatabaseTest
{
    private TestDatabase? database;

    protected TestDatabase Database => database ?? throw new InvalidOperationException("The database is made in [SetUp].");

    /// <summary>Whether the test starts from the whole schema (true) or from an empty database.</summary>
    protected virtual bool Migrated => true;

    [SetUp]
    public async Task CreateDatabase() => database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync(Migrated);

    [TearDown]
    public async Task DropDatabase()
    {
        if (database is not null)
        {
            await database.DisposeAsync();
            database = null;
        }
    }
}
