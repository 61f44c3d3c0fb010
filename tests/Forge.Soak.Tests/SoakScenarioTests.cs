namespace Forge.Soak.Tests;

/// <summary>
/// Short versions of build/soak's scenarios on the test suite's server: the mirroring race and the
/// crashes, each for about twenty seconds. They assert that every invariant held, that nothing failed
/// unexpectedly, and that the scenario did what it is there for (refused index pushes, kills mid-run).
/// </summary>
[TestFixture]
[Category("Reliability")]
public sealed class SoakScenarioTests : SoakWorldTest
{
    private static readonly SoakOptions Short = new()
    {
        Duration = TimeSpan.FromSeconds(20),
        Writers = 3,
        Window = TimeSpan.FromSeconds(1),
        Seed = 7,
    };


    [Test]
    public async Task Writers_racing_both_cleanups_never_lose_a_tagged_image_and_leave_nothing_behind()
    {
        var report = await RaceScenario.RunAsync(World, Short, TestContext.Progress);
        await TestContext.Progress.WriteAsync(report.ToText());

        Assert.Multiple(() =>
        {
            Assert.That(report.Violations, Is.Empty, "the invariants");
            Assert.That(report.Errors, Is.Empty, "pushes and runs that failed unexpectedly");
            Assert.That(report.IndexPushesRefused, Is.GreaterThan(0), "a pause longer than the window must sometimes lose the children: the push is refused");
            Assert.That(report.IndexesPushed, Is.GreaterThan(0), "and sometimes the children are still there");
            Assert.That(report.VersionsDeleted, Is.GreaterThan(0));
            Assert.That(report.BlobsDeleted, Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task Cleanups_killed_with_SIGKILL_leave_everything_whole_or_gone_and_the_next_run_finishes()
    {
        var forge = Path.Combine(AppContext.BaseDirectory, "forge.dll");

        var report = await new CrashScenario(World, Short, forge, TestContext.Progress).RunAsync();
        await TestContext.Progress.WriteAsync(report.ToText());

        Assert.Multiple(() =>
        {
            Assert.That(report.Violations, Is.Empty, "the invariants, and the run after each kill completing");
            Assert.That(report.Errors, Is.Empty);
            Assert.That(report.Kills, Is.GreaterThanOrEqualTo(4));
            Assert.That(report.KillsAfterFirstDeletion, Is.GreaterThanOrEqualTo(1), "at least one kill after a deletion committed and before the process ended");
            Assert.That(report.VersionsDeleted, Is.GreaterThan(0));
        });
    }
}
