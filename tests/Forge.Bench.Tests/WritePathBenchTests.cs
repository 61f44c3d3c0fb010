using Forge.Bench.WritePath;
using Forge.Testing;

namespace Forge.Bench.Tests;

/// <summary>
/// The write-path benchmark small (100 manifests, one run, 2 clients at once) on the test suite's server: every
/// contender's database lacks what it should, every push lands (the benchmark stops on any answer but 201), and in each
/// mode the databases with and without the cleanup's additions end with the same rows. Asserts rows, never timings.
/// </summary>
[TestFixture]
public sealed class WritePathBenchTests
{
    [Test]
    public async Task Every_push_lands_with_and_without_the_cleanups_schema_additions()
    {
        var server = await PostgresTestServer.SharedAsync();
        await using var bench = BenchServer.Existing(server.AdminConnectionString);

        var result = await new WritePathBench(bench, new WritePathBenchOptions { Manifests = 100, Runs = 1, Pushers = 2 }, TestContext.Progress).RunAsync();

        var all = WritePathSchema.All.Select(a => a.Name).ToList();
        var phases = result.AllPhases;
        Assert.Multiple(() =>
        {
            Assert.That(phases.Select(p => (p.Mode, p.Contender)), Is.EquivalentTo(
                from mode in new[] { WritePathBench.Sequential, WritePathBench.Concurrent }
                from contender in WritePathSchema.Contenders
                select (mode, contender.Name)));
            foreach (var phase in phases)
            {
                var contender = WritePathSchema.Contenders.Single(c => c.Name == phase.Contender);
                Assert.That(phase.AdditionsPresent, Is.EqualTo(all.Except(contender.Dropped.Select(d => d.Name))), $"{phase.Mode}, {phase.Contender}");
            }

            // 100 timed and 25 warm-up manifests, each a version: 20 + 5 groups of 3 platform manifests, an index (by tag) and a signature.
            Assert.That(phases.Select(p => p.Versions), Has.All.EqualTo(125));
            foreach (var mode in phases.GroupBy(p => p.Mode))
            {
                Assert.That(mode.Select(p => (p.Files, p.Properties)).Distinct().Count(), Is.EqualTo(1), $"the {mode.Key} pushes left the same files and properties everywhere");
            }

            Assert.That(phases.Select(p => p.Properties), Has.All.GreaterThan(phases[0].Versions * 2), "a file's digest and media type, an index's references and tag, a signature's subject");
            Assert.That(result.IndexSizes.Select(i => i.Index), Is.EquivalentTo(WritePathSchema.Indexes.Select(i => i.Name)));
            Assert.That(result.Ratios, Has.Count.EqualTo(4));
        });
    }
}
