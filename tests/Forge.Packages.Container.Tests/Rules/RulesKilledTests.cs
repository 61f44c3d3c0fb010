using System.Diagnostics;
using System.Text.Json.Nodes;
using Forge.Accounts;
using Forge.Host.Hosting;
using Forge.Packages.Container.Tests.Integration;
using Forge.Packages.Rules;
using Forge.Packages.Schema;
using Forge.Testing;
using Forge.Tooling;
using Npgsql;

namespace Forge.Packages.Container.Tests.Rules;

/// <summary>
/// "A rule run killed at any moment leaves no half-removed version", with a real kill: <c>forge packages rules run</c> in
/// a process of its own is killed with SIGKILL while it is inside the delete of its third batch, held there by a row
/// lock this test takes, so the kill lands at the same place every time. Then every version is whole or gone, exactly
/// the two batches before it are gone, and a second run finishes what the rule decided.
/// </summary>
[NonParallelizable]
public sealed class RulesKilledTests
{
    private const int Tags = 2_000;
    private const string KilledRun = "forge-rules-killed";
    private const string Rerun = "forge-rules-rerun";

    /// <summary>Long enough for a <c>forge</c> process to start and reach its third batch on a busy machine.</summary>
    private static readonly TimeSpan StartUp = TimeSpan.FromMinutes(2);

    [Test]
    public async Task A_run_killed_inside_its_third_batch_leaves_every_version_whole_or_gone_and_a_second_run_finishes()
    {
        var clock = Stopwatch.StartNew();
        await using var h = await CleanupHarness.CreateAsync();
        TestContext.Progress.WriteLine($"database and host in {clock.Elapsed.TotalSeconds:0.0} s");
        clock.Restart();
        var owner = await h.Service<AccountStore>().AddAsync("alice", PasswordHash.Create("alice-secret-0d9b3e"), CancellationToken.None)
            ?? throw new InvalidOperationException("alice exists already");
        var repository = await ManyTagsRepository.PushAsync(h, owner.Id, "alice/app", Tags);
        // Without statistics the planner scans where it should look up, and the first batch takes a minute.
        await h.ExecuteAsync("ANALYZE package, package_version, package_file, package_property, package_blob");
        var rule = await h.Service<CleanupRuleStore>().AddAsync(
            new CleanupRule { OwnerId = owner.Id, Type = ContainerLayout.PackageType, Enabled = true, KeepCount = 10 }, CancellationToken.None);
        TestContext.Progress.WriteLine($"seeded {Tags} tags in {clock.Elapsed.TotalSeconds:0.0} s");

        var before = await VersionShape.ReadAsync(h, repository.PackageId);
        var named = (await h.Database.ColumnAsync(
            $"SELECT DISTINCT lower(value) FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND name = $1", ContainerLayout.ReferenceProperty)).ToHashSet();
        var preview = await h.Service<PackageRulesCleanup>().PreviewAsync(rule.Id, CancellationToken.None);
        var removed = preview!.Rules.Single().Versions.Where(v => v.Decision == RuleReason.Removed).Select(v => v.VersionId).ToList();
        // The run removes in the preview's order, a batch at a time.
        var batches = removed.Chunk(PackageRulesCleanup.BatchSize).ToList();
        var killed = batches[2];
        var doneBeforeKill = batches[0].Concat(batches[1]).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(batches, Has.Count.GreaterThan(3));
            Assert.That(ExpectedKept(before, killed, named), Is.Not.Empty, "the killed batch untags a manifest that an index names");
        });

        // The manifest file of a tag late in the third batch, whose manifest no index and no other tag has: the batch has
        // locked its versions and kept their named manifests before it deletes files, and waits there.
        var shared = before.Values.GroupBy(v => v.Manifest).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var held = killed.Skip(75).First(id => !named.Contains(before[id].Manifest) && !shared.Contains(before[id].Manifest));
        await using var holder = h.Database.Connect();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockFile = new NpgsqlCommand("SELECT id FROM package_file WHERE version_id = $1 AND is_lead FOR UPDATE", holder, hold))
        {
            lockFile.Parameters.AddWithValue(held);
            await lockFile.ExecuteScalarAsync();
        }

        clock.Restart();
        using (var run = ChildProcess.Start(Forge(h, KilledRun, "packages", "rules", "run")))
        {
            await Wait.UntilAsync(async () => run.HasExited || await h.CountAsync(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND $2 = ANY(pg_blocking_pids(pid))", KilledRun, holder.ProcessID) == 1,
                StartUp);
            Assert.That(run.HasExited, Is.False, $"the run ended before it reached the locked file; exit code {(run.HasExited ? run.ExitCode : 0)}: {run.Errors}");
            run.Kill(entireProcessTree: true);
        }

        // Its session lives on, waiting, until the lock is let go: then its statement ends, it finds no client to answer,
        // and its transaction, whose COMMIT was never sent, is rolled back.
        await hold.RollbackAsync();
        await Wait.UntilAsync(async () => await h.CountAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", KilledRun) == 0);
        TestContext.Progress.WriteLine($"started, blocked in batch 3 and killed in {clock.Elapsed.TotalSeconds:0.0} s");

        var afterKill = await VersionShape.ReadAsync(h, repository.PackageId);
        Assert.Multiple(async () =>
        {
            Assert.That(before.Keys.Except(afterKill.Keys), Is.EquivalentTo(doneBeforeKill), "the two batches before the kill are gone, the killed one is not");
            Assert.That(Changed(before, afterKill), Is.Empty, "every version left is as it was");
            Assert.That(Added(before, afterKill), Is.EquivalentTo(ExpectedKept(before, doneBeforeKill, named)),
                "the named manifests of the two batches, each whole under its digest");
            Assert.That(await h.OrphanedRowsAsync(), Is.Empty, "no file or property left without its version or file");
            Assert.That(named.Except(afterKill.Values.Select(v => v.Manifest)), Is.Empty, "every manifest an index names is still some version's");
        });

        clock.Restart();
        var rerun = await ChildProcess.RunAsync(Forge(h, Rerun, "packages", "rules", "run", "--json"), StartUp);
        TestContext.Progress.WriteLine($"second run in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.That(rerun.ExitCode, Is.Zero, rerun.Errors);
        var afterRerun = await VersionShape.ReadAsync(h, repository.PackageId);
        Assert.Multiple(async () =>
        {
            Assert.That(before.Keys.Except(afterRerun.Keys), Is.EquivalentTo(removed), "exactly what the preview said is gone");
            Assert.That(Changed(before, afterRerun), Is.Empty, "the rest is as it was");
            Assert.That(Added(before, afterRerun), Is.EquivalentTo(ExpectedKept(before, [.. removed], named)));
            Assert.That(await h.OrphanedRowsAsync(), Is.Empty);
            Assert.That(named.Except(afterRerun.Values.Select(v => v.Manifest)), Is.Empty);
            Assert.That((long?)JsonNode.Parse(rerun.Output)?["rules"]?[0]?["removed"], Is.EqualTo(removed.Count - doneBeforeKill.Count));
        });
    }

    /// <summary>
    /// The digest versions that removing <paramref name="gone"/> leaves: one per manifest of theirs that an index names
    /// and that no version staying has, made of the tag's files.
    /// </summary>
    private static List<VersionShape> ExpectedKept(Dictionary<long, VersionShape> before, IEnumerable<long> gone, HashSet<string> named)
    {
        var going = gone.ToHashSet();
        var carried = before.Values.Where(v => !going.Contains(v.Id)).Select(v => v.Manifest).ToHashSet();
        return going.Select(id => before[id]).Where(v => named.Contains(v.Manifest) && !carried.Contains(v.Manifest))
            .DistinctBy(v => v.Manifest).Select(v => v.KeptAsDigestVersion()).ToList();
    }

    /// <summary>The versions that were there before and read differently now.</summary>
    private static List<string> Changed(Dictionary<long, VersionShape> before, Dictionary<long, VersionShape> now)
        => [.. before.Values.Where(v => now.TryGetValue(v.Id, out var after) && after != v).Select(v => $"{v} is now {now[v.Id]}")];

    /// <summary>The content of each version that was not there before.</summary>
    private static List<VersionShape> Added(Dictionary<long, VersionShape> before, Dictionary<long, VersionShape> now)
        => [.. now.Values.Where(v => !before.ContainsKey(v.Id)).Select(v => v.Content())];

    /// <summary><c>forge</c> with <paramref name="arguments"/> in a process of its own over <paramref name="h"/>'s database, its sessions named <paramref name="session"/>.</summary>
    private static ChildProcessCommand Forge(CleanupHarness h, string session, params string[] arguments)
        => ChildProcessCommand.Forge(
            typeof(ForgeApp).Assembly.Location,
            new Dictionary<string, string>
            {
                [ChildProcessCommand.ForgeConnectionString] = new NpgsqlConnectionStringBuilder(h.Database.ConnectionString) { ApplicationName = session }.ConnectionString,
                ["Forge__Packages__StorePath"] = h.StorePath,
                ["Logging__LogLevel__Default"] = "Warning",
            },
            arguments);
}
