using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Packages.Container.Cleanup;

/// <summary>How a run is asked for: by the cron task's settings or by the command's options.</summary>
public sealed record CleanupOptions(TimeSpan OlderThan, int BatchSize, bool DryRun);

/// <summary>Where a run is: <c>inventory</c> (versions read so far) or <c>delete</c> (batches done of all).</summary>
public readonly record struct CleanupProgress(string Phase, long Done, long? Total);

/// <summary>
/// Removes dangling <c>sha256:*</c> container versions as CLEANUP.md defines it: one run at a time across
/// the deployment, an inventory without age filter, reachability from tags and young versions, and
/// deletion in bounded batches, referrers first, each batch locked and re-checked against new referrers.
/// </summary>
public sealed partial class DanglingImageCleanup(
    IContainerCleanupStore store,
    ContainerCleanupTelemetry telemetry,
    TimeProvider time,
    ILogger<DanglingImageCleanup> logger)
{
    private const int MaxBatchAttempts = 3;

    public async Task<CleanupReport> RunAsync(CleanupOptions options, CancellationToken cancellationToken, IProgress<CleanupProgress>? progress = null)
    {
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "The batch size must be at least 1.");
        }

        if (options.OlderThan < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.OlderThan, "OlderThan must not be negative.");
        }

        var stopwatch = Stopwatch.StartNew();
        var dryRunTag = new KeyValuePair<string, object?>("dry_run", options.DryRun);
        using var activity = ContainerCleanupTelemetry.ActivitySource.StartActivity("cleanup_container_sha256");
        var olderThanSeconds = (long)Math.Floor(options.OlderThan.TotalSeconds);
        // The cutoff is taken once, before anything is read.
        var cutoff = time.GetUtcNow().ToUnixTimeSeconds() - olderThanSeconds;
        activity?.SetTag("forge.cleanup.dry_run", options.DryRun);
        activity?.SetTag("forge.cleanup.older_than_seconds", olderThanSeconds);
        activity?.SetTag("forge.cleanup.cutoff_unix", cutoff);
        try
        {
            await using var run = await store.TryStartRunAsync(cancellationToken);
            if (run is null)
            {
                LogSkipped();
                activity?.SetTag("forge.cleanup.skipped", true);
                telemetry.Runs.Add(1, new("outcome", "skipped"), dryRunTag);
                return new CleanupReport { DryRun = options.DryRun, Skipped = true, OlderThanSeconds = olderThanSeconds, CutoffUnix = cutoff };
            }

            var plan = await InventoryAsync(run, cutoff, progress, cancellationToken);
            var (deleted, batches) = await DeleteAsync(run, plan, options, progress, cancellationToken);
            var report = Report(plan, options, olderThanSeconds, deleted, batches, stopwatch.Elapsed);

            telemetry.VersionsKept.Add(plan.ReferencedVersions, new KeyValuePair<string, object?>("reason", "referenced"));
            telemetry.VersionsKept.Add(report.TooYoungVersions, new KeyValuePair<string, object?>("reason", "too_young"));
            telemetry.VersionsKept.Add(report.SparedVersions, new KeyValuePair<string, object?>("reason", "spared"));
            telemetry.Runs.Add(1, new("outcome", "success"), dryRunTag);
            telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "success"), dryRunTag);
            activity?.SetTag("forge.cleanup.deleted_versions", report.DeletedVersions);
            activity?.SetTag("forge.cleanup.spared_versions", report.SparedVersions);
            activity?.SetTag("forge.cleanup.too_young_versions", report.TooYoungVersions);
            return report;
        }
        catch (Exception e)
        {
            telemetry.Runs.Add(1, new("outcome", "failure"), dryRunTag);
            telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "failure"), dryRunTag);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    private async Task<CleanupPlan> InventoryAsync(IContainerCleanupRun run, long cutoff, IProgress<CleanupProgress>? progress, CancellationToken cancellationToken)
    {
        using var activity = ContainerCleanupTelemetry.ActivitySource.StartActivity("inventory");
        var planner = new DanglingImagePlanner(cutoff);
        var read = 0L;
        await foreach (var version in run.ReadVersionsAsync(cancellationToken))
        {
            planner.AddVersion(version);
            if (++read % 10_000 == 0)
            {
                progress?.Report(new CleanupProgress("inventory", read, null));
            }
        }

        await foreach (var property in run.ReadReferencePropertiesAsync(cancellationToken))
        {
            planner.AddReferenceProperty(property);
        }

        var plan = planner.Plan();
        telemetry.VersionsScanned.Add(plan.ScannedVersions);
        telemetry.MetadataMalformed.Add(plan.MalformedVersionIds.Count);
        activity?.SetTag("forge.cleanup.scanned_versions", plan.ScannedVersions);
        activity?.SetTag("forge.cleanup.digest_versions", plan.DigestVersions);
        activity?.SetTag("forge.cleanup.unreferenced_versions", plan.Candidates.Count);
        activity?.SetTag("forge.cleanup.doomed_versions", plan.DeletionUnits.Sum(u => u.Count));
        activity?.SetTag("forge.cleanup.malformed_versions", plan.MalformedVersionIds.Count);
        if (plan.MalformedVersionIds.Count > 0)
        {
            LogMalformed(plan.MalformedVersionIds.Count, string.Join(", ", plan.MalformedVersionIds.Take(20)));
        }

        return plan;
    }

    private async Task<(DeletionCounts Deleted, int Batches)> DeleteAsync(
        IContainerCleanupRun run, CleanupPlan plan, CleanupOptions options, IProgress<CleanupProgress>? progress, CancellationToken cancellationToken)
    {
        var state = new SpareState(plan);
        var total = default(DeletionCounts);
        var batches = 0;
        var all = plan.Batches(options.BatchSize).ToList();
        foreach (var batch in all)
        {
            progress?.Report(new CleanupProgress("delete", batches, all.Count));
            var ids = batch.Where(state.Doomed.Contains).ToList();
            if (ids.Count == 0)
            {
                continue;
            }

            batches++;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var counts = await DeleteBatchAsync(run, ids, state, options.DryRun, batches, cancellationToken);
                    total += counts;
                    break;
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                                  && attempt < MaxBatchAttempts)
                {
                    LogRetry(batches, attempt, e.SqlState);
                }
            }
        }

        return (total, batches);
    }

    private async Task<DeletionCounts> DeleteBatchAsync(
        IContainerCleanupRun run, List<long> ids, SpareState state, bool dryRun, int number, CancellationToken cancellationToken)
    {
        using var activity = ContainerCleanupTelemetry.ActivitySource.StartActivity("batch");
        activity?.SetTag("forge.cleanup.batch", number);
        activity?.SetTag("forge.cleanup.batch_size", ids.Count);
        await using var batch = await run.BeginBatchAsync(ids, cancellationToken);
        var spared = 0;
        var present = new HashSet<long>();
        foreach (var locked in batch.Present)
        {
            // Pushed again since the inventory (the row now says young), or no longer a digest version:
            // a root now, so it stays, and what it references with it.
            if (locked.CreatedUnix >= state.CutoffUnix || !ManifestReferences.IsDigestVersion(ManifestReferences.Normalize(locked.LowerVersion)))
            {
                if (state.Doomed.Contains(locked.Id))
                {
                    spared += state.Spare(locked.Id);
                    LogRejuvenated(locked.Id);
                }

                continue;
            }

            present.Add(locked.Id);
        }

        // Rule 8: with the candidates locked, anything outside the doomed set that references one of them
        // now (committed before the lock was granted) spares it, and what it references in turn.
        var targets = present.Select(id => (state.Candidate(id).PackageId, state.Candidate(id).Digest)).Distinct().ToList();
        var referrers = await batch.FindPossibleReferrersAsync(targets, cancellationToken);
        // Until nothing changes: a referrer that was doomed when looked at may be spared later in the pass,
        // and then what it references now counts too.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (referrer, properties) in referrers)
            {
                if (state.Doomed.Contains(referrer.Id))
                {
                    continue;
                }

                var digests = ManifestReferences.Parse(referrer.MetadataJson).Digests.Concat(properties.Select(ManifestReferences.Normalize));
                foreach (var digest in digests)
                {
                    foreach (var candidate in state.Find(referrer.PackageId, digest))
                    {
                        if (present.Contains(candidate) && state.Doomed.Contains(candidate))
                        {
                            spared += state.Spare(candidate);
                            changed = true;
                            LogSpared(candidate, referrer.Id);
                        }
                    }
                }
            }
        }

        var doomed = present.Where(state.Doomed.Contains).Order().ToList();
        var counts = dryRun
            ? await batch.CountAsync(doomed, cancellationToken)
            : await batch.DeleteAsync(doomed, cancellationToken);
        if (!dryRun)
        {
            await batch.CommitAsync(cancellationToken);
            telemetry.VersionsDeleted.Add(counts.Versions);
            telemetry.FilesDeleted.Add(counts.Files);
            telemetry.PropertiesDeleted.Add(counts.Properties);
        }

        activity?.SetTag("forge.cleanup.deleted_versions", counts.Versions);
        activity?.SetTag("forge.cleanup.deleted_files", counts.Files);
        activity?.SetTag("forge.cleanup.deleted_properties", counts.Properties);
        activity?.SetTag("forge.cleanup.spared_versions", spared);
        activity?.SetTag("forge.cleanup.vanished_versions", ids.Count - present.Count);
        LogBatch(number, counts.Versions, counts.Files, counts.Properties, spared, dryRun);
        return counts;
    }

    private static CleanupReport Report(CleanupPlan plan, CleanupOptions options, long olderThanSeconds, DeletionCounts deleted, int batches, TimeSpan elapsed)
        => new()
        {
            DryRun = options.DryRun,
            OlderThanSeconds = olderThanSeconds,
            CutoffUnix = plan.CutoffUnix,
            ScannedVersions = plan.ScannedVersions,
            DigestVersions = plan.DigestVersions,
            UnreferencedVersions = plan.Candidates.Count,
            TooYoungVersions = plan.Candidates.Count(c => c.Decision == CandidateDecision.TooYoung),
            SparedVersions = plan.Candidates.Count(c => c.Decision == CandidateDecision.Spared),
            DeletedVersions = deleted.Versions,
            DeletedFiles = deleted.Files,
            DeletedProperties = deleted.Properties,
            Batches = batches,
            DurationSeconds = elapsed.TotalSeconds,
            MalformedVersionIds = plan.MalformedVersionIds,
            Candidates = plan.Candidates
                .Select(c => new CandidateReport(c.VersionId, c.PackageId, c.PackageName, c.Digest, c.CreatedUnix, c.Decision))
                .ToList(),
        };

    /// <summary>The doomed set as the run goes: sparing a version spares what it references too.</summary>
    private sealed class SpareState
    {
        private readonly CleanupPlan plan;
        private readonly Dictionary<long, Candidate> candidates;
        private readonly ILookup<(long PackageId, string Digest), long> byDigest;

        public SpareState(CleanupPlan plan)
        {
            this.plan = plan;
            candidates = plan.Candidates.ToDictionary(c => c.VersionId);
            byDigest = plan.Candidates.ToLookup(c => (c.PackageId, c.Digest), c => c.VersionId);
            Doomed = plan.DeletionUnits.SelectMany(u => u).ToHashSet();
        }

        public HashSet<long> Doomed { get; }

        public Candidate Candidate(long id) => candidates[id];

        public long CutoffUnix => plan.CutoffUnix;

        /// <summary>The candidates with this digest in this package (more than one only when stored in different letter case).</summary>
        public IEnumerable<long> Find(long packageId, string digest) => byDigest[(packageId, digest)];

        /// <summary>Spares a doomed version and every doomed version it references; returns how many.</summary>
        public int Spare(long id)
        {
            var count = 0;
            var stack = new Stack<long>([id]);
            while (stack.Count > 0)
            {
                var next = stack.Pop();
                if (!Doomed.Remove(next))
                {
                    continue;
                }

                candidates[next].Decision = CandidateDecision.Spared;
                count++;
                if (plan.DoomedEdges.TryGetValue(next, out var targets))
                {
                    foreach (var target in targets)
                    {
                        stack.Push(target);
                    }
                }
            }

            return count;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Container cleanup skipped: another run is in progress")]
    private partial void LogSkipped();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} container version(s) have metadata_json that is not JSON; every digest in their text is kept as a reference. Version ids: {Ids}")]
    private partial void LogMalformed(int count, string ids);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container version {VersionId} spared: it was pushed again since the inventory and is young now")]
    private partial void LogRejuvenated(long versionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container version {VersionId} spared: version {ReferrerId} references it now")]
    private partial void LogSpared(long versionId, long referrerId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch {Batch}: {Versions} version(s), {Files} file(s), {Properties} propert(ies) {Verb}; {Spared} spared")]
    private partial void LogBatchCore(int batch, long versions, long files, long properties, string verb, int spared);

    private void LogBatch(int batch, long versions, long files, long properties, int spared, bool dryRun)
        => LogBatchCore(batch, versions, files, properties, dryRun ? "would be deleted" : "deleted", spared);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {Batch} hit a lock conflict with a concurrent writer (attempt {Attempt}, {SqlState}); retrying")]
    private partial void LogRetry(int batch, int attempt, string sqlState);
}
