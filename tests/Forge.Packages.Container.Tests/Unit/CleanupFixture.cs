namespace Forge.Packages.Container.Tests.Unit;

/// <summary>A fresh <see cref="CleanupHarness"/> for every test.</summary>
public abstract class CleanupFixture
{
    private CleanupHarness? harness;

    internal CleanupHarness Harness => harness ?? throw new InvalidOperationException("The harness exists only while a test runs.");

    [SetUp]
    public void CreateHarness() => harness = new CleanupHarness();

    [TearDown]
    public void DisposeHarness() => harness?.Dispose();
}
