using Forge.Packages.ExpiredData;
using Forge.Packages.Container.Cleanup;

namespace Forge.Soak;

/// <summary>Counts over many cleanup runs, from several tasks.</summary>
public sealed class CleanupTally
{
    private readonly Lock gate = new();
    private long containerRuns;
    private long versionsDeleted;
    private long versionsSpared;
    private long packagesRuns;
    private long blobsDeleted;
    private readonly List<string> errors = [];

    /// <summary>Runs the dangling image cleanup and counts it; a run that throws is recorded as an error, not rethrown.</summary>
    public Task<DanglingImageCleanupReport?> RunAsync(SoakWorld world, DanglingImageCleanupOptions options)
        => GuardAsync("container cleanup", () => world.ContainerCleanup().RunAsync(options, CancellationToken.None), Add);

    /// <summary>Runs the expired-data cleanup and counts it; a run that throws is recorded as an error.</summary>
    public Task<ExpiredDataCleanupReport?> RunAsync(SoakWorld world, ExpiredDataCleanupOptions options)
        => GuardAsync("expired-data cleanup", () => world.ExpiredDataCleanup().RunAsync(options, CancellationToken.None), Add);

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

    public void Add(DanglingImageCleanupReport report)
    {
        lock (gate)
        {
            containerRuns++;
            versionsDeleted += report.DeletedVersions;
            versionsSpared += report.SparedVersions;
        }
    }

    public void Add(ExpiredDataCleanupReport report)
    {
        lock (gate)
        {
            packagesRuns++;
            blobsDeleted += report.Step<OrphanedBlobsReport>().Blobs;
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
