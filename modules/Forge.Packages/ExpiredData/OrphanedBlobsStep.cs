using Forge.Packages.Content;
using Forge.Packages.Schema;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.ExpiredData;

/// <summary>
/// Blobs that no file uses, older than the cutoff, go with their content files. The rows go and their files
/// are queued (<c>forge_content_removal</c>) in one transaction; a file is removed after the commit, under its
/// content lock, and dequeued once gone, so whatever stops the run, the next one finds what is left to remove.
/// </summary>
public sealed partial class OrphanedBlobsStep(ILogger<OrphanedBlobsStep> logger) : IExpiredDataStep
{
    /// <summary>Last: after every step that removes files.</summary>
    public const int StepOrder = 200;

    public string Name => "orphaned_blobs";

    public string ReportKey => "orphanedBlobs";

    public int Order => StepOrder;

    public ExpiredDataForecast Forecast => ExpiredDataForecast.Nothing;

    public ExpiredDataStepReport NothingDone { get; } = new OrphanedBlobsReport();

    public async Task<ExpiredDataStepReport> RunAsync(ExpiredDataRun run)
    {
        var removals = new RemovalCounts();
        var cancellationToken = run.CancellationToken;

        // First the content files whose rows went in a run that stopped (crash, lost connection) or
        // failed to remove them: the queue is written in the transaction that deletes the rows.
        var resumed = 0L;
        var lastQueued = string.Empty;
        while (true)
        {
            var queued = await PackagesSql.ListAsync(run.Connection, null,
                $"SELECT hash_sha256 FROM forge_content_removal WHERE hash_sha256 > $1::bpchar ORDER BY hash_sha256 LIMIT {ExpiredDataRun.BatchSize}",
                r => r.GetString(0), cancellationToken, lastQueued);
            if (queued.Count == 0)
            {
                break;
            }

            lastQueued = queued[^1];
            resumed += queued.Count;
            if (run.DryRun)
            {
                run.Freed(await StoredSizeAsync(run, queued.Select(h => h.Trim().ToLowerInvariant())));
                continue;
            }

            await RemoveQueuedAsync(run, queued, removals, resumed: true);
        }

        // In a dry run, files that an earlier step would remove do not keep a blob.
        var unused = $"NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id AND {run.FileStays})";
        long blobs = 0, last = 0;
        while (true)
        {
            var candidates = await PackagesSql.ListAsync(run.Connection, null, $"""
                SELECT b.id, b.hash_sha256, b.size FROM package_blob b
                WHERE b.created_unix < $1 AND b.id > $2 AND {unused} ORDER BY b.id LIMIT {ExpiredDataRun.BatchSize}
                """, r => (Id: r.GetInt64(0), Hash: r.GetString(1).Trim().ToLowerInvariant(), Size: r.GetInt64(2)), cancellationToken, run.CutoffUnix, last);
            if (candidates.Count == 0)
            {
                break;
            }

            last = candidates[^1].Id;
            if (run.DryRun)
            {
                // What the real run would free: the files on disk, as it counts them.
                blobs += candidates.Count;
                run.Freed(await StoredSizeAsync(run, candidates.Select(c => c.Hash)));
                continue;
            }

            if (run.Hooks?.BeforeBlobLock is { } beforeLock)
            {
                await beforeLock(candidates.Select(c => c.Id).ToList());
            }

            List<string> deleted;
            await using (var transaction = await run.Connection.BeginTransactionAsync(cancellationToken))
            {
                // Locked first (a push that uses a blob locks it too, and the foreign key from
                // package_file makes it wait); re-checked in a statement of its own, after the lock.
                var locked = await PackagesSql.ListAsync(run.Connection, transaction,
                    "SELECT id FROM package_blob WHERE id = ANY($1) ORDER BY id FOR UPDATE SKIP LOCKED",
                    r => r.GetInt64(0), cancellationToken, candidates.Select(c => c.Id).ToArray());
                // The rows go and their content files are queued in one transaction: whatever stops
                // this run after the commit, the next run finds the files to remove in the queue.
                deleted = await PackagesSql.ListAsync(run.Connection, transaction, """
                    WITH deleted AS (
                        DELETE FROM package_blob b WHERE b.id = ANY($1)
                        AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)
                        RETURNING b.hash_sha256),
                    queued AS (
                        INSERT INTO forge_content_removal (hash_sha256, queued_unix)
                        SELECT hash_sha256, $2 FROM deleted ON CONFLICT (hash_sha256) DO NOTHING)
                    SELECT hash_sha256 FROM deleted
                    """, r => r.GetString(0), cancellationToken, locked.ToArray(), run.Time.GetUtcNow().ToUnixTimeSeconds());
                await transaction.CommitAsync(cancellationToken);
            }

            blobs += deleted.Count;
            run.Telemetry.BlobsDeleted.Add(deleted.Count);
            await RemoveQueuedAsync(run, deleted, removals, resumed: false);
        }

        run.StepActivity?.SetTag("forge.cleanup.content_files_resumed", resumed);
        run.StepActivity?.SetTag("forge.cleanup.blobs", blobs);
        run.StepActivity?.SetTag("forge.cleanup.content_files_failed", removals.Failed);
        return new OrphanedBlobsReport
        {
            Blobs = blobs,
            ContentFilesRemoved = removals.Removed,
            ContentFilesMissing = removals.Missing,
            ContentFilesReused = removals.Reused,
            ContentFilesFailed = removals.Failed,
        };
    }

    /// <summary>
    /// Removes the content files of queued hashes (as stored: character(64)) and dequeues each one whose
    /// file is gone or that a row uses again; a file whose removal failed stays queued for the next run.
    /// A file already gone is worth a warning only in the run that deleted its row (a resumed removal
    /// may have been done just before the stop).
    /// </summary>
    private async Task RemoveQueuedAsync(ExpiredDataRun run, List<string> queued, RemovalCounts counts, bool resumed)
    {
        var done = new List<string>();
        foreach (var hash in queued)
        {
            var normalized = hash.Trim().ToLowerInvariant();
            var removal = await RemoveContentAsync(run, normalized, warnIfMissing: !resumed);
            counts.Count(removal);
            // Not a hash at all (a damaged row): logged and counted once, then dropped; it names no file.
            if (removal != Removal.Failed || !ContentKeys.IsSha256Hex(normalized))
            {
                done.Add(hash);
            }
        }

        if (done.Count > 0)
        {
            await PackagesSql.ExecuteAsync(run.Connection, null, "DELETE FROM forge_content_removal WHERE hash_sha256 = ANY($1::bpchar[])",
                CancellationToken.None, done.ToArray());
        }
    }

    private async Task<Removal> RemoveContentAsync(ExpiredDataRun run, string hash, bool warnIfMissing)
    {
        if (run.Hooks?.BeforeContentRemoval is { } before)
        {
            await before(hash);
        }

        if (!ContentKeys.IsSha256Hex(hash))
        {
            LogNotAHash(hash);
            run.Telemetry.RemovalFailures.Add(1);
            return Removal.Failed;
        }

        await using var transaction = await run.Connection.BeginTransactionAsync(run.CancellationToken);
        await BlobContentLock.AcquireAsync(run.Connection, transaction, hash, run.CancellationToken);
        // The same content may have been uploaded again since the row went: then the file is its.
        if (await BlobContentLock.RowExistsAsync(run.Connection, transaction, hash, run.CancellationToken))
        {
            return Removal.Reused;
        }

        try
        {
            run.Hooks?.RemoveContent?.Invoke(hash);
            if (await run.Store.DeleteAsync(hash, run.CancellationToken) is not { } bytes)
            {
                if (warnIfMissing)
                {
                    LogContentMissing(hash);
                }

                return Removal.Missing;
            }

            run.Freed(bytes);
            return Removal.Removed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing in the database names this file any more; it stays queued for the next run.
            LogRemovalFailed(e, hash);
            run.Telemetry.RemovalFailures.Add(1);
            return Removal.Failed;
        }
    }

    /// <summary>What the store holds of these hashes, in bytes (a hash it lacks, or that is not one, counts nothing).</summary>
    private static async Task<long> StoredSizeAsync(ExpiredDataRun run, IEnumerable<string> hashes)
    {
        long total = 0;
        foreach (var hash in hashes.Where(ContentKeys.IsSha256Hex))
        {
            total += await run.Store.SizeOfAsync(hash, run.CancellationToken) ?? 0;
        }

        return total;
    }

    private enum Removal
    {
        Removed,
        Missing,
        Reused,
        Failed,
    }

    private sealed class RemovalCounts
    {
        public long Removed { get; private set; }
        public long Missing { get; private set; }
        public long Reused { get; private set; }
        public long Failed { get; private set; }

        public void Count(Removal removal)
        {
            switch (removal)
            {
                case Removal.Removed:
                    Removed++;
                    break;
                case Removal.Missing:
                    Missing++;
                    break;
                case Removal.Reused:
                    Reused++;
                    break;
                case Removal.Failed:
                    Failed++;
                    break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A queued content removal names '{Hash}', which is no SHA-256 digest and names no file; it is dropped")]
    private partial void LogNotAHash(string hash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Content file of blob {Sha256} was already gone when its row was deleted")]
    private partial void LogContentMissing(string sha256);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not remove the content file of deleted blob {Sha256}; it stays queued and the next run tries again")]
    private partial void LogRemovalFailed(Exception e, string sha256);
}
