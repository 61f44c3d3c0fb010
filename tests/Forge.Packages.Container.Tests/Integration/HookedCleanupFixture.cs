namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// A test class whose every test gets a world of its own whose cleanup runs over a <see cref="HookedStore"/>: the races and
/// crashes are staged through the store's hooks. Not run in parallel: the hooks wait on timing.
/// </summary>
[NonParallelizable]
public abstract class HookedCleanupFixture
{
    private CleanupHarness? world;
    private HookedStore? hooked;

    /// <summary>The test's world.</summary>
    protected CleanupHarness H => world ?? throw new InvalidOperationException("The world exists only while a test runs.");

    /// <summary>The store the world's cleanup runs over.</summary>
    protected HookedStore Store => hooked ?? throw new InvalidOperationException("The store exists only while a test runs.");

    [SetUp]
    public async Task CreateWorld() => (world, hooked) = await CleanupHarness.CreateHookedAsync();

    [TearDown]
    public async Task DropWorld()
    {
        if (world is not null)
        {
            await world.DisposeAsync();
        }
    }
}
