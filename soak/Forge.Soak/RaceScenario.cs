using System.Diagnostics;
using Forge.Packages.Cleanup;
using Forge.Packages.Container.Cleanup;

namespace Forge.Soak;

/// <summary>How a scenario runs: bounded by <see cref="Duration"/>, reproducible by <see cref="Seed"/>.</summary>
public sealed record SoakOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(2);
    public int Writers { get; init; } = 4;

    /// <summary>The cleanups' <c>OlderThan</c>: writers pause shorter and longer than this.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(2);

    public int Seed { get; init; } = 1;

    /// <summary>Small batches: more transactions, more moments for a race or a kill to land in.</summary>
    public int BatchSize { get; init; } = 5;

    /// <summary>The crash scenario goes on past <see cref="Duration"/> (up to three times it) until this many kills landed after a run's first deletion.</summary>
    public int MinimumKillsAfterFirstDeletion { get; init; } = 1;

    /// <summary>The crash scenario goes on past <see cref="Duration"/> (up to three times it) until it killed this many processes.</summary>
    public int MinimumKills { get; init; } = 4;
}

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
            .Select(w => Task.Run(() => new MirrorWriter(world.Writer, log, w, options.Seed, options.Window, longPauses: true).RunAsync(stop.Token)))
            .ToList();
        var cleanups = new[]
        {
            Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await tally.RunAsync(world, new CleanupOptions(options.Window, options.BatchSize, DryRun: false, ListedCandidates: 0));
                }
            }),
            Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await tally.RunAsync(world, new ExpiredDataOptions(options.Window, DryRun: false));
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
        var container = await tally.RunAsync(world, new CleanupOptions(TimeSpan.Zero, 500, DryRun: false, ListedCandidates: 0));
        var packages = await tally.RunAsync(world, new ExpiredDataOptions(TimeSpan.Zero, DryRun: false));
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

/// <summary>Counts over many cleanup runs, from several tasks.</summary>
public sealed class CleanupTally
{
    private readonly Lock gate = new();
    private long containerRuns;
    private long versionsDeleted;
    private long versionsSpared;
    private long packagesRuns;
    private long blobsDeleted;

    public long VersionsDeleted
    {
        get
        {
            lock (gate)
            {
                return versionsDeleted;
            }
        }
    }

    private readonly List<string> errors = [];

    /// <summary>Runs the dangling image cleanup and counts it; a run that throws is recorded as an error, not rethrown.</summary>
    public Task<CleanupReport?> RunAsync(SoakWorld world, CleanupOptions options)
        => GuardAsync("container cleanup", () => world.ContainerCleanup().RunAsync(options, CancellationToken.None), Add);

    /// <summary>Runs the expired-data cleanup and counts it; a run that throws is recorded as an error.</summary>
    public Task<ExpiredDataReport?> RunAsync(SoakWorld world, ExpiredDataOptions options)
        => GuardAsync("expired-data cleanup", () => world.PackagesCleanup().RunAsync(options, CancellationToken.None), Add);

    private async Task<T?> GuardAsync<T>(string what, Func<Task<T>> run, Action<T> count)
        where T : class
    {
        try
        {
            var report = await run();
            count(report);
            return report;
        }
        catch (Exception e)
        {
            Error($"{what}: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    public void Error(string error)
    {
        lock (gate)
        {
            errors.Add(error);
        }
    }

    public void Add(CleanupReport report)
    {
        lock (gate)
        {
            containerRuns++;
            versionsDeleted += report.DeletedVersions;
            versionsSpared += report.SparedVersions;
        }
    }

    public void Add(ExpiredDataReport report)
    {
        lock (gate)
        {
            packagesRuns++;
            blobsDeleted += report.OrphanedBlobs.Blobs;
        }
    }

    public SoakReport Report(string scenario, TimeSpan elapsed, int writers, WriterLog log, List<string> violations, long checks, long kills = 0, long killsAfterFirstDeletion = 0, long killsMidDeletion = 0)
    {
        lock (gate)
        {
            return new SoakReport
            {
                Scenario = scenario,
                DurationSeconds = elapsed.TotalSeconds,
                Writers = writers,
                ManifestsPushed = log.Manifests,
                IndexesPushed = log.Indexes,
                IndexPushesRefused = log.Refused,
                AbandonedMirrors = log.Abandoned,
                ContainerCleanupRuns = containerRuns,
                VersionsDeleted = versionsDeleted,
                VersionsSpared = versionsSpared,
                PackagesCleanupRuns = packagesRuns,
                BlobsDeleted = blobsDeleted,
                Kills = kills,
                KillsAfterFirstDeletion = killsAfterFirstDeletion,
                KillsMidDeletion = killsMidDeletion,
                InvariantChecks = checks,
                Violations = violations,
                Errors = [.. log.Errors, .. errors],
            };
        }
    }
}
