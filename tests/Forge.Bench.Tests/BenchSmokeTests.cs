using Forge.Testing;

namespace Forge.Bench.Tests;

/// <summary>
/// The whole benchmark at 10,000 versions, one run, on the test suite's server: generation, the dry-run
/// agreement of the three contenders, the timed runs in their own processes and the final comparison.
/// Asserts that the contenders agree and each deleted something, never timings.
/// </summary>
[TestFixture]
public sealed class BenchSmokeTests
{
    [Test]
    public async Task The_three_contenders_delete_the_same_versions_and_leave_identical_databases()
    {
        var server = await PostgresTestServer.SharedAsync();
        await using var bench = BenchServer.Existing(server.AdminConnectionString);

        var result = await new BenchPipeline(bench, new BenchOptions { Versions = 10_000, Runs = 1 }, TestContext.Progress).RunAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.Generation.Versions, Is.InRange(10_000, 10_010));
            Assert.That(result.Generation.DanglingOld, Is.GreaterThan(0));
            Assert.That(result.AgreedVersions, Is.EqualTo(result.Generation.DanglingOld), "every contender deletes exactly the old dangling digests");
            Assert.That(result.DatabasesIdentical, Is.True);
            Assert.That(result.Medians.Select(m => m.Contender), Is.EqualTo(new[] { BenchPipeline.Forge, BenchPipeline.Reference, BenchPipeline.Floor }));
            foreach (var contender in result.Medians)
            {
                Assert.That(contender.DeletedVersions, Is.EqualTo(result.AgreedVersions), contender.Contender);
                Assert.That(contender.DeletedFiles, Is.GreaterThan(0), contender.Contender);
                Assert.That(contender.DeletedProperties, Is.GreaterThan(contender.DeletedFiles), contender.Contender);
            }
        });
    }

    [Test]
    public void Contenders_that_would_delete_different_versions_fail_the_benchmark_with_samples()
    {
        var sets = new Dictionary<string, SortedSet<long>>
        {
            [BenchPipeline.Forge] = [1, 2, 3],
            [BenchPipeline.Reference] = [1, 2, 3],
            [BenchPipeline.Floor] = [1, 2, 4],
        };

        var failure = Assert.Throws<BenchException>(() => BenchPipeline.CompareDeletions(sets));

        Assert.That(failure!.Message, Does.Contain("only forge: 1 (e.g. 3)").And.Contain("only floor: 1 (e.g. 4)"));
    }

    [Test]
    public void Contenders_that_would_delete_nothing_fail_the_benchmark()
    {
        var sets = new Dictionary<string, SortedSet<long>> { [BenchPipeline.Forge] = [], [BenchPipeline.Floor] = [] };

        Assert.Throws<BenchException>(() => BenchPipeline.CompareDeletions(sets));
    }

    [Test]
    public void Databases_that_ended_different_fail_the_benchmark_naming_the_table()
    {
        List<TableState> State(long files) => [new("package_version", 10, "a"), new("package_file", files, "b")];
        var states = new Dictionary<string, List<TableState>> { [BenchPipeline.Forge] = State(5), [BenchPipeline.Reference] = State(6) };

        var failure = Assert.Throws<BenchException>(() => BenchPipeline.CompareStates(states, run: 2));

        Assert.That(failure!.Message, Does.Contain("run 2").And.Contain("package_file: 5 rows").And.Not.Contain("package_version"));
    }
}
