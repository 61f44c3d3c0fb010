using System.Diagnostics;
using System.Globalization;
using Forge.Packages.ExpiredData;
using Forge.Packages.Container.Cleanup;
using Forge.Tooling;

namespace Forge.Soak;

/// <summary>
/// Crashes: rounds of pushes leave dangling versions and orphaned blobs; a <c>forge</c> process runs a
/// cleanup and is killed with SIGKILL at a random moment (most often while it holds its run lock, so in
/// the middle of its batches). After each kill the invariants are checked and the next run must complete
/// and finish the job. Both cleanups are killed in turn.
/// </summary>
public sealed class CrashScenario(SoakWorld world, SoakOptions options, string forgeDll, TextWriter progress)
{
    private const string Forge = "forge";
    private readonly Random random = new(options.Seed);
    private readonly CleanupTally tally = new();
    private readonly WriterLog log = new();
    private readonly List<string> violations = [];
    private long kills;
    private long killsAfterFirstDeletion;
    private long killsMidDeletion;
    private long checks;
    private TimeSpan containerWork = TimeSpan.FromMilliseconds(500);
    private TimeSpan packagesWork = TimeSpan.FromMilliseconds(300);

    public async Task<SoakReport> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var writers = Enumerable.Range(0, options.Writers)
            .Select(w => new MirrorWriter(world.Images, log, w, options.Seed, options.Window, longPauses: false)).ToList();
        var round = 0;
        // Past its duration the scenario goes on until its kills have landed where they must (a loaded machine's slow
        // start-ups make the first guesses miss), up to six times the duration.
        bool More() => clock.Elapsed < options.Duration
            || ((killsAfterFirstDeletion < options.MinimumKillsAfterFirstDeletion || kills < options.MinimumKills) && clock.Elapsed < options.Duration * 6);
        while (More() && violations.Count == 0)
        {
            round++;
            await Task.WhenAll(writers.Select(w => Task.Run(() => w.RunAsync(CancellationToken.None, operations: 12))));
            await Task.Delay(options.Window + TimeSpan.FromSeconds(1.1));

            var older = GoDurationText(options.Window);
            containerWork = await KillAndFinishAsync(
                "SELECT count(*) FROM package_version WHERE lower_version LIKE 'sha256:%'",
                ["packages", "container", "cleanup-sha256", "--older-than", older, "--batch-size", "2"],
                containerWork,
                async () => (await tally.RunAsync(world, new DanglingImageCleanupOptions(options.Window, options.BatchSize, DryRun: false, ListedCandidates: 0)))?.Skipped);
            packagesWork = await KillAndFinishAsync(
                "SELECT count(*) FROM package_blob",
                ["packages", "cleanup", "--older-than", older],
                packagesWork,
                async () => (await tally.RunAsync(world, new ExpiredDataCleanupOptions(options.Window, DryRun: false)))?.Skipped);
            progress.WriteLine($"crash: round {round}, {kills} kills so far ({killsAfterFirstDeletion} after a first deletion, {killsMidDeletion} of them before the last), {clock.Elapsed.TotalSeconds:0}s");
        }

        violations.AddRange(await RaceScenario.FinalSweepAsync(world, tally, log));
        checks++;
        return tally.Report("crash", clock.Elapsed, options.Writers, log, violations, checks, kills, killsAfterFirstDeletion, killsMidDeletion);
    }

    /// <summary>
    /// Starts the cleanup process, kills it, checks the invariants, then runs the same cleanup to the end in
    /// this process. Returns the next kill's range: how long the process's work lasts, learned from where
    /// the kills land (before any deletion: longer; after the process ended: shorter).
    /// </summary>
    private async Task<TimeSpan> KillAndFinishAsync(string remaining, string[] arguments, TimeSpan work, Func<Task<bool?>> finish)
    {
        var before = await world.CountAsync(remaining);
        var killed = false;
        using (var process = StartForge(arguments))
        {
            // One kill in five at any moment from the start (start-up, migrations check, lock); the others
            // at a random moment of the work itself, once the run holds its lock.
            var fromStart = random.Next(5) == 0;
            if (!fromStart)
            {
                await WaitForRunLockAsync(process);
            }

            var delay = random.NextDouble() * (fromStart ? work.TotalMilliseconds + 1500 : work.TotalMilliseconds);
            await Task.Delay(TimeSpan.FromMilliseconds(delay));
            if (!process.HasExited)
            {
                process.Kill();
                killed = true;
                kills++;
            }

            await process.WaitForExitAsync();
        }

        await WaitForSessionsToEndAsync();
        var afterKill = await world.CountAsync(remaining);
        await CheckAsync();

        var skipped = await finish();
        if (skipped != false)
        {
            violations.Add($"the run after a kill ({string.Join(' ', arguments)}) {(skipped is null ? "failed" : "was skipped")}");
        }

        var afterFinish = await world.CountAsync(remaining);
        // Killed after its first deletion had committed (then perhaps removing content files, or writing
        // its report), and, stricter, before its last: in the middle of its batches.
        if (killed && afterKill < before)
        {
            killsAfterFirstDeletion++;
            if (afterFinish < afterKill)
            {
                killsMidDeletion++;
            }
        }

        await CheckAsync();
        // Not killed, or killed after everything was deleted: aim earlier; killed before any deletion: later.
        var next = !killed || (afterKill < before && afterKill == afterFinish) ? work * 0.75
            : afterKill == before && afterFinish < before ? work * 1.5
            : work;
        return TimeSpan.FromMilliseconds(Math.Clamp(next.TotalMilliseconds, 20, 20_000));
    }

    private async Task CheckAsync()
    {
        checks++;
        violations.AddRange(await Invariants.CheckAsync(world.DataSource, world.StorePath, log));
    }

    private ChildProcess StartForge(string[] arguments)
        => ChildProcess.Start(ChildProcessCommand.Forge(
            forgeDll,
            new Dictionary<string, string>
            {
                [ChildProcessCommand.ForgeConnectionString] = world.ConnectionString,
                ["Forge__Packages__StorePath"] = world.StorePath,
                ["Logging__LogLevel__Default"] = "Warning",
            },
            arguments));

    /// <summary>Until a <c>forge</c> session holds an advisory lock (the run lock), or the process ends.</summary>
    private async Task WaitForRunLockAsync(ChildProcess process)
    {
        var deadline = Stopwatch.StartNew();
        while (!process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await world.CountAsync($"""
                SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = '{Forge}'
                """) > 0)
            {
                return;
            }

            await Task.Delay(5);
        }
    }

    /// <summary>The server ends a killed client's session when it sees the socket close; wait for that.</summary>
    private async Task WaitForSessionsToEndAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (await world.CountAsync($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{Forge}'") > 0)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                violations.Add("a killed cleanup's database session was still there after 30 s");
                return;
            }

            await Task.Delay(20);
        }
    }

    private static string GoDurationText(TimeSpan duration)
        => ((long)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";
}
