using System.Diagnostics;
using Forge.Packages.ExpiredData;
using Forge.Packages.Container.Cleanup;

namespace Forge.Soak;

/// <summary>
/// The mirroring race: writers push like skopeo sync and buildx while both cleanups run back to back
/// with an <c>OlderThan</c> of a few seconds. Then the writers stop, the invariants are checked, both
/// cleanups run once more with <c>--older-than 0s</c>, and nothing unreachable may be left.
/// </summary>
public static class RaceScenario
{
    public static async Task<SoakReport> RunAsync(SoakWorld world, SoakOptions options, TextWriter progress)
    {
        var log = new WriterLog();
        var tally = new CleanupTally();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(options.Duration);
        var writers = Enumerable.Range(0, options.Writers)
            .Select(w => Task.Run(() => new MirrorWriter(world.Images, log, w, options.Seed, options.Window, longPauses: true).RunAsync(stop.Token)))
            .ToList();
        var cleanups = new[]
        {
            Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await tally.RunAsync(world, new DanglingImageCleanupOptions(options.Window, options.BatchSize, DryRun: false, ListedCandidates: 0));
                }
            }),
            Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await tally.RunAsync(world, new ExpiredDataCleanupOptions(options.Window, DryRun: false));
                    await Task.Delay(200);
                }
            }),
        };
        // A broken index pushed over later would hide a wrong deletion from the last check: look meanwhile too.
        var violations = new List<string>();
        var checks = 0;
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                violations.AddRange(await Invariants.CheckWhileRunningAsync(world.DataSource));
                checks++;
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        });
        await Task.WhenAll(writers.Concat(cleanups).Append(watcher));
        progress.WriteLine($"race: writers stopped after {clock.Elapsed.TotalSeconds:0.0}s; checking the invariants, then a last run of both cleanups with --older-than 0s");

        violations.AddRange(await Invariants.CheckAsync(world.DataSource, world.StorePath, log));
        violations.AddRange(await FinalSweepAsync(world, tally, log));
        return tally.Report("race", clock.Elapsed, options.Writers, log, violations, checks: checks + 2);
    }

    /// <summary>Waits until everything is older than a 0s cutoff, runs both cleanups with it, and checks invariants 1 to 4.</summary>
    public static async Task<List<string>> FinalSweepAsync(SoakWorld world, CleanupTally tally, WriterLog? log)
    {
        // created_unix has whole seconds: a version of this second is not older than "now - 0s".
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var container = await tally.RunAsync(world, new DanglingImageCleanupOptions(TimeSpan.Zero, 500, DryRun: false, ListedCandidates: 0));
        var packages = await tally.RunAsync(world, new ExpiredDataCleanupOptions(TimeSpan.Zero, DryRun: false));
        var violations = new List<string>();
        if (container is not { Skipped: false } || packages is not { Skipped: false })
        {
            violations.Add("the last run of a cleanup failed or was skipped");
        }

        violations.AddRange(await Invariants.CheckAsync(world.DataSource, world.StorePath, log));
        violations.AddRange(await Invariants.CheckNothingLeaksAsync(world.DataSource, world.StorePath));
        return violations;
    }
}
