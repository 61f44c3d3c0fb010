using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// Removes dangling <c>sha256:*</c> container versions as docs/cleanup.md defines it: one run at a time across
/// the deployment, an inventory without age filter, reachability from tags and young versions, and
/// deletion in bounded batches, referrers first, each batch locked and re-checked against new referrers.
/// References resolve within a package, so the inventory goes a chunk of whole packages at a time and
/// batches follow it: memory is bounded by the chunk and the batches in flight, not by the registry.
/// </summary>
public sealed partial class DanglingImageCleanup(
    IDanglingImageStore store,
    DanglingImageCleanupTelemetry telemetry,
    TimeProvider time,
    ILogger<DanglingImageCleanup> logger)
{
    private const int MaxBatchAttempts = 3;

    public async Task<DanglingImageCleanupReport> RunAsync(DanglingImageCleanupOptions options, CancellationToken cancellationToken, IProgress<DanglingImageCleanupProgress>? progress = null)
    {
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "The batch size must be at least 1.");
        }

        if (options.Workers is < 1 or > DanglingImageCleanupOptions.MaxWorkers)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Workers, $"Workers must be 1 to {DanglingImageCleanupOptions.MaxWorkers}.");
        }

        if (options.OlderThan < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.OlderThan, "OlderThan must not be negative.");
        }

        var stopwatch = Stopwatch.StartNew();
        var dryRunTag = new KeyValuePair<string, object?>("dry_run", options.DryRun);
        using var activity = DanglingImageCleanupTelemetry.ActivitySource.StartActivity("cleanup_container_sha256");
        var olderThanSeconds = (long)Math.Floor(options.OlderThan.TotalSeconds);
        // The cutoff is taken once, before anything is read.
        var cutoff = time.GetUtcNow().ToUnixTimeSeconds() - olderThanSeconds;
        activity?.SetTag("forge.cleanup.dry_run", options.DryRun);
        activity?.SetTag("forge.cleanup.older_than_seconds", olderThanSeconds);
        activity?.SetTag("forge.cleanup.cutoff_unix", cutoff);
        try
        {
            await using var run = await store.TryStartRunAsync(options.WaitForLock, cancellationToken);
            if (run is null)
            {
                LogSkipped();
                activity?.SetTag("forge.cleanup.skipped", true);
                telemetry.Runs.Add(1, new("outcome", "skipped"), dryRunTag);
                return new DanglingImageCleanupReport { DryRun = options.DryRun, Skipped = true, OlderThanSeconds = olderThanSeconds, CutoffUnix = cutoff };
            }

            var tally = new Tally(options.ListedCandidates);
            // The next chunk is read and planned while the batches of the ones before run, and the workers delete
            // chunks of their own at once, one batch deleting while another is re-checked (about a tenth faster with
            // two on two cores, docs/benchmarks.md: the database is busy on both already). References and subjects
            // resolve within a package and a chunk holds whole packages, so each worker keeps rule 7's order on its own.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var planned = Channel.CreateBounded<(DanglingImagePlan Plan, IReadOnlyList<ContainerVersionRecord> Versions)>(
                new BoundedChannelOptions(1) { SingleReader = options.Workers == 1, SingleWriter = true });
            var inventory = Task.Run(() => InventoryAsync(run, cutoff, options.RemoveOrphanedReferrerTags, tally, planned.Writer, stop.Token), CancellationToken.None);
            var workers = Enumerable.Range(0, options.Workers)
                .Select(_ => Task.Run(() => WorkAsync(run, planned.Reader, cutoff, options, tally, progress, stop), CancellationToken.None))
                .ToList();
            try
            {
                await Task.WhenAll(workers);
            }
            catch when (workers.FirstOrDefault(w => w.IsFaulted && w.Exception!.InnerException is not OperationCanceledException) is { } failed)
            {
                // One worker's failure stopped the others: report its error, not their cancellation.
                ExceptionDispatchInfo.Capture(failed.Exception!.InnerException!).Throw();
            }
            finally
            {
                await stop.CancelAsync();
                await inventory;
            }

            if (tally.Malformed.Count > 0)
            {
                LogMalformed(tally.Malformed.Count, string.Join(", ", tally.Malformed.Take(20)));
            }

            var report = tally.Report(options.DryRun, olderThanSeconds, cutoff, stopwatch.Elapsed);
            telemetry.VersionsKept.Add(tally.Referenced, new KeyValuePair<string, object?>("reason", "referenced"));
            telemetry.VersionsKept.Add(report.TooYoungVersions, new KeyValuePair<string, object?>("reason", "too_young"));
            telemetry.VersionsKept.Add(report.SparedVersions, new KeyValuePair<string, object?>("reason", "spared"));
            telemetry.VersionsKept.Add(report.SubjectAliveVersions, new KeyValuePair<string, object?>("reason", "subject_alive"));
            telemetry.Runs.Add(1, new("outcome", "success"), dryRunTag);
            telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "success"), dryRunTag);
            activity?.SetTag("forge.cleanup.scanned_versions", report.ScannedVersions);
            activity?.SetTag("forge.cleanup.deleted_versions", report.DeletedVersions);
            activity?.SetTag("forge.cleanup.spared_versions", report.SparedVersions);
            activity?.SetTag("forge.cleanup.too_young_versions", report.TooYoungVersions);
            activity?.SetTag("forge.cleanup.subject_alive_versions", report.SubjectAliveVersions);
            activity?.SetTag("forge.cleanup.deleted_orphaned_referrers", report.DeletedOrphanedReferrers);
            activity?.SetTag("forge.cleanup.deleted_orphaned_referrer_tags", report.DeletedOrphanedReferrerTags);
            activity?.SetTag("forge.cleanup.malformed_versions", report.MalformedVersionIds.Count);
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

    /// <summary>
    /// One worker: takes planned chunks and deletes their batches, about <see cref="DanglingImageCleanupOptions.BatchSize"/>
    /// versions each, the chunks it took in its own order; a failure stops the other workers and the inventory.
    /// </summary>
    private async Task WorkAsync(
        IDanglingImageRun run, ChannelReader<(DanglingImagePlan, IReadOnlyList<ContainerVersionRecord>)> planned, long cutoff,
        DanglingImageCleanupOptions options, Tally tally, IProgress<DanglingImageCleanupProgress>? progress, CancellationTokenSource stop)
    {
        try
        {
            var pending = new DanglingImageBatches(cutoff);
            while (await ReadPlannedAsync(planned, stop.Token) is { } next)
            {
                pending.Add(next.Plan, next.Versions);
                progress?.Report(new DanglingImageCleanupProgress(tally.Scanned, tally.Batches));
                while (pending.Count >= options.BatchSize)
                {
                    await DeleteNextBatchAsync(run, pending, options, tally, stop.Token);
                    progress?.Report(new DanglingImageCleanupProgress(tally.Scanned, tally.Batches));
                }
            }

            while (pending.Count > 0)
            {
                await DeleteNextBatchAsync(run, pending, options, tally, stop.Token);
                progress?.Report(new DanglingImageCleanupProgress(tally.Scanned, tally.Batches));
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    /// <summary>Reads and plans chunk after chunk into <paramref name="planned"/>; completes it, with the error if one ends the inventory.</summary>
    private async Task InventoryAsync(
        IDanglingImageRun run, long cutoff, bool removeOrphanedReferrerTags, Tally tally, ChannelWriter<(DanglingImagePlan, IReadOnlyList<ContainerVersionRecord>)> planned,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var chunk in run.ReadInventoryAsync(cancellationToken))
            {
                await planned.WriteAsync((Plan(chunk, cutoff, removeOrphanedReferrerTags, tally), chunk.Versions), cancellationToken);
            }

            planned.Complete();
        }
        catch (Exception e)
        {
            planned.Complete(e);
        }
    }

    /// <summary>The next planned chunk, null at the end; an error of the inventory is thrown here, as it was thrown there.</summary>
    private static async Task<(DanglingImagePlan Plan, IReadOnlyList<ContainerVersionRecord> Versions)?> ReadPlannedAsync(
        ChannelReader<(DanglingImagePlan, IReadOnlyList<ContainerVersionRecord>)> planned, CancellationToken cancellationToken)
    {
        try
        {
            // Several workers wait on the channel: each is told a chunk is there, and only one gets it; the others wait again.
            while (await planned.WaitToReadAsync(cancellationToken))
            {
                if (planned.TryRead(out var next))
                {
                    return next;
                }
            }

            return null;
        }
        catch (ChannelClosedException e) when (e.InnerException is { } inner)
        {
            ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }
    }

    /// <summary>Plans one chunk of whole packages (one <c>inventory</c> span each) and counts it.</summary>
    private DanglingImagePlan Plan(InventoryChunk chunk, long cutoff, bool removeOrphanedReferrerTags, Tally tally)
    {
        using var activity = DanglingImageCleanupTelemetry.ActivitySource.StartActivity("inventory");
        var planner = new DanglingImagePlanner(cutoff, removeOrphanedReferrerTags);
        planner.AddChunk(chunk);
        var plan = planner.Plan();
        tally.Add(plan);
        telemetry.VersionsScanned.Add(plan.ScannedVersions);
        telemetry.MetadataMalformed.Add(plan.MalformedVersionIds.Count);
        activity?.SetTag("forge.cleanup.scanned_versions", plan.ScannedVersions);
        activity?.SetTag("forge.cleanup.digest_versions", plan.DigestVersions);
        activity?.SetTag("forge.cleanup.unreferenced_versions", plan.Candidates.Count);
        activity?.SetTag("forge.cleanup.doomed_versions", plan.DeletionUnits.Sum(u => u.Count));
        activity?.SetTag("forge.cleanup.malformed_versions", plan.MalformedVersionIds.Count);
        return plan;
    }

    private async Task DeleteNextBatchAsync(IDanglingImageRun run, DanglingImageBatches pending, DanglingImageCleanupOptions options, Tally tally, CancellationToken cancellationToken)
    {
        // Once the run is stopping (another worker failed, or the caller cancelled), no batch begins, whatever is left of the chunk.
        cancellationToken.ThrowIfCancellationRequested();
        var (ids, packages) = pending.Take(options.BatchSize);
        if (ids.Count > 0)
        {
            var number = tally.NextBatch();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    tally.AddDeleted(await DeleteBatchAsync(run, ids, pending, options.DryRun, number, tally, cancellationToken));
                    break;
                }
                catch (DanglingImageBatchConflictException e) when (attempt < MaxBatchAttempts)
                {
                    LogRetry(number, attempt, e.Reason);
                }
            }
        }

        pending.Done(packages);
    }

    private async Task<DeletionCounts> DeleteBatchAsync(
        IDanglingImageRun run, List<long> ids, DanglingImageBatches state, bool dryRun, int number, Tally tally, CancellationToken cancellationToken)
    {
        using var activity = DanglingImageCleanupTelemetry.ActivitySource.StartActivity("batch");
        activity?.SetTag("forge.cleanup.batch", number);
        activity?.SetTag("forge.cleanup.batch_size", ids.Count);
        var spared = 0;
        var vanished = 0;
        var counts = default(DeletionCounts);
        while (ids.Count > 0)
        {
            // A real batch deletes first, which locks the rows, then re-checks: when a version must stay
            // after all, the deletion is rolled back and the batch done again without it.
            await using var batch = await run.BeginBatchAsync(ids, delete: !dryRun, cancellationToken);
            vanished = ids.Count - batch.Present.Count;
            var (present, sparedNow) = await RecheckAsync(batch, state, cancellationToken);
            spared += sparedNow;
            if (dryRun)
            {
                counts = await batch.CountAsync(present.Where(state.Doomed.Contains).Order().ToList(), cancellationToken);
                tally.CountDeleted(present.Where(state.Doomed.Contains).Select(id => state.Candidate(id).Kind));
                state.MarkGone(present.Where(state.Doomed.Contains).ToList());
                break;
            }

            if (batch.Present.Any(v => !state.Doomed.Contains(v.Id)))
            {
                LogRedo(number, sparedNow);
                ids = ids.Where(state.Doomed.Contains).ToList();
                continue;
            }

            await batch.CommitAsync(cancellationToken);
            counts = batch.Deleted;
            foreach (var kind in batch.Present.Select(v => state.Candidate(v.Id).Kind).GroupBy(k => k))
            {
                telemetry.VersionsDeleted.Add(kind.Count(), new KeyValuePair<string, object?>("reason", DeletionReason(kind.Key)));
            }

            tally.CountDeleted(batch.Present.Select(v => state.Candidate(v.Id).Kind));
            state.MarkGone(batch.Present.Select(v => v.Id));
            telemetry.FilesDeleted.Add(counts.Files);
            telemetry.PropertiesDeleted.Add(counts.Properties);
            break;
        }

        tally.AddSpared(spared);
        activity?.SetTag("forge.cleanup.deleted_versions", counts.Versions);
        activity?.SetTag("forge.cleanup.deleted_files", counts.Files);
        activity?.SetTag("forge.cleanup.deleted_properties", counts.Properties);
        activity?.SetTag("forge.cleanup.spared_versions", spared);
        activity?.SetTag("forge.cleanup.vanished_versions", vanished);
        LogBatch(number, counts.Versions, counts.Files, counts.Properties, spared, dryRun);
        return counts;
    }

    /// <summary>
    /// Rule 8, with the batch's rows locked: spares what was pushed again since the inventory, what anything outside
    /// the doomed set references now, and the referrers whose subject is now a version outside the doomed set
    /// (committed before the lock was granted), with what those keep in turn. Returns the locked versions still to
    /// delete, and how many were spared.
    /// </summary>
    private async Task<(HashSet<long> Present, int Spared)> RecheckAsync(IDanglingImageBatch batch, DanglingImageBatches state, CancellationToken cancellationToken)
    {
        var spared = 0;
        var present = new HashSet<long>();
        foreach (var locked in batch.Present)
        {
            // Pushed again since the inventory (the row now says young), or no longer of the kind the plan judged:
            // a root now, so it stays, and what it keeps with it.
            if (locked.CreatedUnix >= state.CutoffUnix || !StillJudged(state.Candidate(locked.Id), locked.LowerVersion))
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

        var candidates = present.Select(state.Candidate).ToList();
        var targets = candidates.Select(c => (c.PackageId, c.Digest)).Distinct().ToList();
        var referrers = targets.Count == 0
            ? []
            : await batch.FindPossibleReferrersAsync(targets, state.KnownVersions(targets.Select(t => t.PackageId)), cancellationToken);
        var subjects = SubjectChains(candidates, state);
        var holders = subjects.Count == 0 ? [] : await batch.FindSubjectHoldersAsync(subjects, cancellationToken);
        // Until nothing changes: a version that was doomed when looked at may be spared later in the pass, and then
        // what it references, or what names it as subject, counts too.
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

            foreach (var holder in holders)
            {
                // A subject still doomed goes after its referrers, unless it was pushed again and is young now.
                if (state.Doomed.Contains(holder.VersionId) && holder.CreatedUnix < state.CutoffUnix)
                {
                    continue;
                }

                // Its doomed referrers stay, this batch's and later ones' (a signature of a signature waits in a later
                // batch for the one below it, which its own batch would find too late), and what they keep with them.
                foreach (var candidate in state.FindReferrers(holder.PackageId, holder.Digest))
                {
                    if (candidate != holder.VersionId && state.Doomed.Contains(candidate))
                    {
                        spared += state.Spare(candidate);
                        changed = true;
                        LogSubjectKept(candidate, holder.VersionId);
                    }
                }
            }
        }

        return (present, spared);
    }

    /// <summary>
    /// The subjects of the batch's referrers, and, where a subject is itself a doomed referrer (a signature of a
    /// signature), its subjects too, up the chain: what to ask the database about.
    /// </summary>
    private static List<(long PackageId, string Digest)> SubjectChains(List<DanglingImageCandidate> candidates, DanglingImageBatches state)
    {
        var subjects = new HashSet<(long PackageId, string Digest)>();
        var pending = new Stack<DanglingImageCandidate>(candidates);
        while (pending.TryPop(out var referrer))
        {
            foreach (var subject in referrer.Subjects)
            {
                if (subjects.Add((referrer.PackageId, subject)))
                {
                    foreach (var doomedSubject in state.Find(referrer.PackageId, subject))
                    {
                        pending.Push(state.Candidate(doomedSubject));
                    }
                }
            }
        }

        return [.. subjects];
    }

    /// <summary>Whether a locked candidate is still a digest version, or a referrer tag when the plan judged it as one.</summary>
    private static bool StillJudged(DanglingImageCandidate candidate, string lowerVersion)
        => candidate.Kind == DanglingImageCandidateKind.ReferrerTag
            ? CosignReferrerTags.SubjectOf(ManifestReferences.Normalize(lowerVersion)) is not null
            : ContainerLayout.IsDigestVersion(ManifestReferences.Normalize(lowerVersion));

    /// <summary>The <c>reason</c> a deleted version is counted under.</summary>
    private static string DeletionReason(DanglingImageCandidateKind kind) => kind switch
    {
        DanglingImageCandidateKind.Referrer => "orphaned_referrer",
        DanglingImageCandidateKind.ReferrerTag => "orphaned_referrer_tag",
        _ => "unreferenced",
    };

    /// <summary>What the run counted, and the candidates it lists, chunk by chunk; the inventory and the workers add to it at once.</summary>
    private sealed class Tally(int listedCandidates)
    {
        private readonly Lock gate = new();
        private readonly List<DanglingImageCandidate> listed = [];
        private int batches;

        public long Scanned { get; private set; }
        public long DigestVersions { get; private set; }
        public long Referenced { get; private set; }
        public long Unreferenced { get; private set; }
        public long TooYoung { get; private set; }
        public long SubjectAlive { get; private set; }
        public long Spared { get; private set; }
        public long DeletedReferrers { get; private set; }
        public long DeletedReferrerTags { get; private set; }
        public int Batches => Volatile.Read(ref batches);
        public DeletionCounts Deleted { get; private set; }
        public List<long> Malformed { get; } = [];

        /// <summary>The number of the next batch, 1 for the first.</summary>
        public int NextBatch() => Interlocked.Increment(ref batches);

        public void AddDeleted(DeletionCounts counts)
        {
            lock (gate)
            {
                Deleted += counts;
            }
        }

        public void AddSpared(int count)
        {
            lock (gate)
            {
                Spared += count;
            }
        }

        public void Add(DanglingImagePlan plan)
        {
            lock (gate)
            {
                AddCore(plan);
            }
        }

        private void AddCore(DanglingImagePlan plan)
        {
            Scanned += plan.ScannedVersions;
            DigestVersions += plan.DigestVersions;
            Referenced += plan.ReferencedVersions;
            Unreferenced += plan.Candidates.Count;
            TooYoung += plan.Candidates.Count(c => c.Decision == DanglingImageDecision.TooYoung);
            SubjectAlive += plan.Candidates.Count(c => c.Decision == DanglingImageDecision.SubjectAlive);
            Malformed.AddRange(plan.MalformedVersionIds);
            // The same objects the batches mark as spared, so a listed candidate shows its final decision.
            listed.AddRange(plan.Candidates.Take(listedCandidates - listed.Count));
        }

        /// <summary>Counts the kinds of what a batch deleted (or, in a dry run, would delete).</summary>
        public void CountDeleted(IEnumerable<DanglingImageCandidateKind> kinds)
        {
            var counted = kinds.ToList();
            lock (gate)
            {
                DeletedReferrers += counted.Count(kind => kind == DanglingImageCandidateKind.Referrer);
                DeletedReferrerTags += counted.Count(kind => kind == DanglingImageCandidateKind.ReferrerTag);
            }
        }

        public DanglingImageCleanupReport Report(bool dryRun, long olderThanSeconds, long cutoff, TimeSpan elapsed)
            => new()
            {
                DryRun = dryRun,
                OlderThanSeconds = olderThanSeconds,
                CutoffUnix = cutoff,
                ScannedVersions = Scanned,
                DigestVersions = DigestVersions,
                UnreferencedVersions = Unreferenced,
                TooYoungVersions = TooYoung,
                SubjectAliveVersions = SubjectAlive,
                SparedVersions = Spared,
                DeletedVersions = Deleted.Versions,
                DeletedOrphanedReferrers = DeletedReferrers,
                DeletedOrphanedReferrerTags = DeletedReferrerTags,
                DeletedFiles = Deleted.Files,
                DeletedProperties = Deleted.Properties,
                Batches = Batches,
                DurationSeconds = elapsed.TotalSeconds,
                MalformedVersionIds = Malformed.Order().ToList(),
                Candidates = listed
                    .OrderBy(c => c.VersionId)
                    .Select(c => new DanglingImageCandidateReport(c.VersionId, c.PackageId, c.PackageName, c.Digest, c.CreatedUnix, c.Decision)
                    {
                        Kind = c.Kind,
                        Subject = c.Subjects.Count > 0 ? c.Subjects[0] : null,
                    })
                    .ToList(),
            };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Container cleanup skipped: another run is in progress")]
    private partial void LogSkipped();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} container version(s) have metadata_json that is not JSON; every digest in their text is kept as a reference. Version ids: {Ids}")]
    private partial void LogMalformed(int count, string ids);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container version {VersionId} spared: it was pushed again since the inventory and is young now")]
    private partial void LogRejuvenated(long versionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container version {VersionId} spared: version {ReferrerId} references it now")]
    private partial void LogSpared(long versionId, long referrerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container version {VersionId} spared: its subject is version {SubjectId} now, which stays")]
    private partial void LogSubjectKept(long versionId, long subjectId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch {Batch}: {Versions} version(s), {Files} file(s), {Properties} propert(ies) {Verb}; {Spared} spared")]
    private partial void LogBatchCore(int batch, long versions, long files, long properties, string verb, int spared);

    private void LogBatch(int batch, long versions, long files, long properties, int spared, bool dryRun)
        => LogBatchCore(batch, versions, files, properties, dryRun ? "would be deleted" : "deleted", spared);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {Batch}: {Spared} version(s) must stay; its deletion is rolled back and done again without them")]
    private partial void LogRedo(int batch, int spared);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {Batch} hit a lock conflict with a concurrent writer (attempt {Attempt}, {SqlState}); retrying")]
    private partial void LogRetry(int batch, int attempt, string sqlState);
}
