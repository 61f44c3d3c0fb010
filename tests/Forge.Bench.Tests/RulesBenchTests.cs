using Forge.Bench.Rules;
using Forge.Testing;

namespace Forge.Bench.Tests;

/// <summary>
/// The package rules benchmark small (2,000 tags, one run) on the test suite's server: the preview and the real run,
/// each in its own process, and the run removing exactly what the preview said (the pipeline stops otherwise).
/// Asserts what was removed, never timings.
/// </summary>
[TestFixture]
public sealed class RulesBenchTests
{
    [Test]
    public async Task The_run_removes_exactly_what_the_preview_said()
    {
        var server = await PostgresTestServer.SharedAsync();
        await using var bench = BenchServer.Existing(server.AdminConnectionString);

        var result = await new RulesBench(bench, new RulesBenchOptions { Tags = 2_000, Runs = 1 }, TestContext.Progress).RunAsync();

        var run = result.AllRuns.Single();
        Assert.Multiple(() =>
        {
            Assert.That(result.Generation.Tags, Is.EqualTo(2_000));
            Assert.That(result.Generation.Packages, Is.EqualTo(1));
            Assert.That(result.VersionsLookedAt, Is.EqualTo(result.Generation.Versions), "every version of the repository, digests included");
            // Every tag but the newest 10 and latest: none is younger than the rule's remove_days (0).
            Assert.That(result.PreviewRemoved, Is.EqualTo(2_000 - 10 - 1));
            Assert.That(run.RemovedVersions, Is.EqualTo(result.PreviewRemoved));
            Assert.That(run.RemovedFiles, Is.GreaterThan(run.RemovedVersions));
            Assert.That(run.RemovedProperties, Is.GreaterThan(run.RemovedFiles));
            Assert.That(run.PreviewReportBytes, Is.GreaterThan(0));
        });
    }
}
