using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Forge.Packages.Cleanup;

/// <summary>How a run is asked for. <paramref name="WaitForLock"/>: wait for a run in progress to end instead of skipping.</summary>
public sealed record ExpiredDataOptions(TimeSpan OlderThan, bool DryRun, bool WaitForLock = false);

/// <summary>Test seams at the two moments a crash or a race matters; empty in production.</summary>
public sealed class ExpiredDataCleanupHooks
{
    /// <summary>Called with a batch of orphaned blob ids before they are locked.</summary>
    public Func<IReadOnlyList<long>, Task>? BeforeBlobLock { get; set; }

    /// <summary>Called with a blob's hash after its row's deletion committed, before its file is removed.</summary>
    public Func<string, Task>? BeforeContentRemoval { get; set; }

    /// <summary>Called just before a content file is deleted, under its lock; an IOException here is a failed removal.</summary>
    public Action<string>? RemoveContent { get; set; }
}

/// <summary>
/// The Packages module's expired-data cleanup (<c>cleanup_packages</c>): expired upload sessions, unused
/// uploaded blobs, empty packages and orphaned blobs, in that order. Each step works in bounded
/// transactions that lock before they re-check, so it is safe to interrupt and to run again; content files
/// are removed only after the transaction that deleted their rows has committed, under the blob's content
/// lock, so a push that re-uploads the same content in between keeps its file.
/// </summary>
public sealed partial class ExpiredDataCleanup(
    NpgsqlDataSource dataSource,
    ContentStore store,
    PackagesCleanupTelemetry telemetry,
    ExpiredDataCleanupHooks hooks,
    TimeProvider time,
    ILogger<ExpiredDataCleanup> logger)
{
    /// <summary>The advisory lock key of <c>cleanup_packages</c> runs (ASCII "FrgPkCln").</summary>
    public const long RunLockKey = 0x4672_6750_6B43_6C6E;

    private const int BatchSize = 1000;

    private readonly ContentStore store = store;
    private readonly PackagesCleanupTelemetry telemetry = telemetry;
    private readonly ExpiredDataCleanupHooks hooks = hooks;
    private readonly TimeProvider time = time;

    public async Task<ExpiredDataReport> RunAsync(ExpiredDataOptions options, CancellationToken cancellationToken)
    {
        if (options.OlderThan < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.OlderThan, "OlderThan must not be negative.");
        }

        var stopwatch = Stopwatch.StartNew();
        var dryRunTag = new KeyValuePair<string, object?>("dry_run", options.DryRun);
        using var activity = PackagesCleanupTelemetry.ActivitySource.StartActivity("cleanup_packages");
        var olderThanSeconds = (long)Math.Floor(options.OlderThan.TotalSeconds);
        var cutoff = time.GetUtcNow().ToUnixTimeSeconds() - olderThanSeconds;
        activity?.SetTag("forge.cleanup.dry_run", options.DryRun);
        activity?.SetTag("forge.cleanup.cutoff_unix", cutoff);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            if (!await LockAsync(connection, options.WaitForLock, cancellationToken))
            {
                LogSkipped();
                telemetry.Runs.Add(1, new("outcome", "skipped"), dryRunTag);
                return new ExpiredDataReport { DryRun = options.DryRun, Skipped = true, OlderThanSeconds = olderThanSeconds, CutoffUnix = cutoff };
            }

            try
            {
                var run = new Run(this, connection, cutoff, options.DryRun, cancellationToken);
                var uploads = await run.ExpiredUploadsAsync();
                var uploaded = await run.ExpiredUploadedBlobsAsync();
                var packages = await run.EmptyPackagesAsync();
                var blobs = await run.OrphanedBlobsAsync();
                var report = new ExpiredDataReport
                {
                    DryRun = options.DryRun,
                    OlderThanSeconds = olderThanSeconds,
                    CutoffUnix = cutoff,
                    ExpiredUploads = uploads,
                    ExpiredUploadedBlobs = uploaded,
                    EmptyPackages = packages,
                    OrphanedBlobs = blobs,
                    BytesFreed = run.BytesFreed,
                    DurationSeconds = stopwatch.Elapsed.TotalSeconds,
                };
                telemetry.Runs.Add(1, new("outcome", "success"), dryRunTag);
                telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "success"), dryRunTag);
                activity?.SetTag("forge.cleanup.bytes_freed", report.BytesFreed);
                return report;
            }
            finally
            {
                await UnlockAsync(connection);
            }
        }
        catch (Exception e)
        {
            telemetry.Runs.Add(1, new("outcome", "failure"), dryRunTag);
            telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "failure"), dryRunTag);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, bool wait, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            return await ScalarAsync<bool>(connection, null, "SELECT pg_try_advisory_lock($1)", cancellationToken, RunLockKey);
        }

        try
        {
            // A chained run waits for a scheduled one to end, so that what the container cleanup just
            // deleted is freed tonight, not tomorrow.
            await ScalarAsync<object>(connection, null, "SET lock_timeout = '1h'", cancellationToken);
            await ScalarAsync<object>(connection, null, "SELECT pg_advisory_lock($1)", cancellationToken, RunLockKey);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return false;
        }
        finally
        {
            await ScalarAsync<object>(connection, null, "RESET lock_timeout", CancellationToken.None);
        }
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await ScalarAsync<object>(connection, null, "SELECT pg_advisory_unlock($1)", CancellationToken.None, RunLockKey);
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and the session lock with it.
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? default! : (T)value;
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>A command with positional parameters; id arrays go as bigint[] (an empty one too).</summary>
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter is long[] ids
                ? new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint }
                : new NpgsqlParameter { Value = parameter });
        }

        return command;
    }

    /// <summary>One run's steps over the run's connection (which holds the run lock).</summary>
    private sealed class Run(ExpiredDataCleanup owner, NpgsqlConnection connection, long cutoff, bool dryRun, CancellationToken cancellationToken)
    {
        // What a version of the internal _upload kind is; step 2 and the dry-run forecasts share it.
        private const string UploadVersion = """
            v.lower_version = '_upload' AND v.is_internal
            AND EXISTS (SELECT 1 FROM package p WHERE p.id = v.package_id AND p.type = 'container')
            """;

        // A file step 2 removes: one of an _upload version, created before the cutoff.
        private const string ExpiringFile = $"""
            EXISTS (SELECT 1 FROM package_version v WHERE v.id = f.version_id AND {UploadVersion}) AND f.created_unix < $1
            """;

        public long BytesFreed { get; private set; }

        public async Task<ExpiredUploadsStep> ExpiredUploadsAsync()
        {
            using var activity = PackagesCleanupTelemetry.ActivitySource.StartActivity("expired_uploads");
            long sessions = 0, files = 0;
            var lastId = string.Empty;
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var ids = await ListAsync(connection, transaction, $"""
                    SELECT id FROM package_blob_upload WHERE updated_unix < $1 AND id > $2 ORDER BY id LIMIT {BatchSize}
                    {(dryRun ? string.Empty : "FOR UPDATE SKIP LOCKED")}
                    """, r => r.GetString(0), cancellationToken, cutoff, lastId);
                if (ids.Count == 0)
                {
                    break;
                }

                // Files first, rows second: a crash in between leaves expired rows without files, which
                // the next run removes; the other order would leave files nothing names.
                lastId = ids[^1];
                sessions += ids.Count;
                files += ids.Count(RemoveStale);
                if (!dryRun)
                {
                    await using var delete = new NpgsqlCommand("DELETE FROM package_blob_upload WHERE id = ANY($1)", connection, transaction);
                    delete.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });
                    await delete.ExecuteNonQueryAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                }
            }

            var stale = await StaleFilesAsync();
            owner.telemetry.UploadsDeleted.Add(dryRun ? 0 : sessions);
            activity?.SetTag("forge.cleanup.sessions", sessions);
            activity?.SetTag("forge.cleanup.files", files);
            activity?.SetTag("forge.cleanup.stale_files", stale);
            return new ExpiredUploadsStep { Sessions = sessions, Files = files, StaleFiles = stale };
        }

        /// <summary>
        /// Pages through the rows <paramref name="select"/> finds (<c>$1</c> the cutoff, <c>$2</c> the last id
        /// seen), each page in its own transaction. A dry run counts them and their properties of
        /// <paramref name="propertyRefType"/>; a real run locks them with <paramref name="lockClause"/> and runs
        /// <paramref name="delete"/>, which re-checks in a statement of its own and returns (rows, properties).
        /// </summary>
        private async Task<(long Rows, long Properties)> DeleteInBatchesAsync(
            Func<string, string> select, string lockClause, long propertyRefType, string delete)
        {
            long rows = 0, properties = 0, last = 0;
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var ids = await ListAsync(connection, transaction, select(dryRun ? string.Empty : lockClause), r => r.GetInt64(0), cancellationToken, cutoff, last);
                if (ids.Count == 0)
                {
                    return (rows, properties);
                }

                last = ids[^1];
                if (dryRun)
                {
                    rows += ids.Count;
                    properties += await ScalarAsync<long>(connection, transaction,
                        "SELECT count(*) FROM package_property WHERE ref_type = $2 AND ref_id = ANY($1)", cancellationToken, ids.ToArray(), propertyRefType);
                    continue;
                }

                var counts = await ListAsync(connection, transaction, delete, r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken, ids.ToArray());
                await transaction.CommitAsync(cancellationToken);
                rows += counts[0].Item1;
                properties += counts[0].Item2;
            }
        }

        /// <summary>Partial files without a session and staged files, both older than the cutoff: a writer died.</summary>
        private async Task<long> StaleFilesAsync()
        {
            // Never younger than an hour, whatever OlderThan says: a push may be waiting on a lock with its
            // content staged.
            var before = DateTimeOffset.FromUnixTimeSeconds(Math.Min(cutoff, owner.time.GetUtcNow().ToUnixTimeSeconds() - 3600)).UtcDateTime;
            var stale = owner.store.EnumerateTemporary().Count(f => f.LastWriteTimeUtc < before && Remove(f));
            foreach (var chunk in owner.store.EnumerateUploads().Where(f => f.LastWriteTimeUtc < before).Chunk(BatchSize))
            {
                var known = await ListAsync(connection, null, "SELECT id FROM package_blob_upload WHERE id = ANY($1)",
                    r => r.GetString(0), cancellationToken, [chunk.Select(f => f.Name).ToArray()]);
                stale += chunk.Count(f => !known.Contains(f.Name) && Remove(f));
            }

            return stale;
        }

        public async Task<ExpiredUploadedBlobsStep> ExpiredUploadedBlobsAsync()
        {
            using var activity = PackagesCleanupTelemetry.ActivitySource.StartActivity("expired_uploaded_blobs");
            long files = 0, fileProperties = 0, last = 0;
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var ids = await ListAsync(connection, transaction, $"""
                    SELECT f.id FROM package_file f WHERE {ExpiringFile} AND f.id > $2 ORDER BY f.id LIMIT {BatchSize}
                    {(dryRun ? string.Empty : "FOR UPDATE SKIP LOCKED")}
                    """, r => r.GetInt64(0), cancellationToken, cutoff, last);
                if (ids.Count == 0)
                {
                    break;
                }

                last = ids[^1];
                files += ids.Count;
                fileProperties += dryRun
                    ? await ScalarAsync<long>(connection, transaction, "SELECT count(*) FROM package_property WHERE ref_type = 1 AND ref_id = ANY($1)", cancellationToken, ids.ToArray())
                    : await ScalarAsync<long>(connection, transaction, """
                        WITH fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id = ANY($1) RETURNING 1),
                        f AS (DELETE FROM package_file WHERE id = ANY($1))
                        SELECT count(*) FROM fp
                        """, cancellationToken, ids.ToArray());
                if (!dryRun)
                {
                    await transaction.CommitAsync(cancellationToken);
                }
            }

            // Then every _upload version left without files, in batches. In a dry run: those whose files all expire.
            var empty = dryRun
                ? $"NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id AND NOT ({ExpiringFile}))"
                : "NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id)";
            // Locked first, re-checked in a statement of its own: a file added meanwhile keeps its version.
            var (versions, versionProperties) = await DeleteInBatchesAsync(
                lockClause => $"""
                    SELECT v.id FROM package_version v WHERE {UploadVersion} AND {empty} AND v.id > $2 ORDER BY v.id LIMIT {BatchSize} {lockClause}
                    """,
                "FOR UPDATE OF v SKIP LOCKED",
                propertyRefType: 0,
                """
                WITH v AS (DELETE FROM package_version v WHERE v.id = ANY($1)
                           AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id) RETURNING id),
                vp AS (DELETE FROM package_property WHERE ref_type = 0 AND ref_id IN (SELECT id FROM v) RETURNING 1)
                SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM vp)
                """);

            if (!dryRun)
            {
                owner.telemetry.FilesDeleted.Add(files);
                owner.telemetry.VersionsDeleted.Add(versions);
            }

            activity?.SetTag("forge.cleanup.files", files);
            activity?.SetTag("forge.cleanup.versions", versions);
            return new ExpiredUploadedBlobsStep { Files = files, FileProperties = fileProperties, Versions = versions, VersionProperties = versionProperties };
        }

        public async Task<EmptyPackagesStep> EmptyPackagesAsync()
        {
            using var activity = PackagesCleanupTelemetry.ActivitySource.StartActivity("empty_packages");
            // In a dry run, a package counts as empty when every version it has is an _upload version that
            // step 2 would remove.
            var empty = dryRun
                ? $"""
                  NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id AND NOT ({UploadVersion}
                      AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id AND NOT ({ExpiringFile}))))
                  """
                : "NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id)";
            // Locked, then re-checked with a fresh snapshot: a version inserted meanwhile keeps its package.
            var (packages, properties) = await DeleteInBatchesAsync(
                lockClause => $"SELECT p.id FROM package p WHERE {empty} AND p.id > $2 ORDER BY p.id LIMIT {BatchSize} {lockClause}",
                "FOR UPDATE SKIP LOCKED",
                propertyRefType: 2,
                """
                WITH p AS (DELETE FROM package p WHERE p.id = ANY($1)
                           AND NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id) RETURNING id),
                pp AS (DELETE FROM package_property WHERE ref_type = 2 AND ref_id IN (SELECT id FROM p) RETURNING 1)
                SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM pp)
                """);

            if (!dryRun)
            {
                owner.telemetry.PackagesDeleted.Add(packages);
            }

            activity?.SetTag("forge.cleanup.packages", packages);
            return new EmptyPackagesStep { Packages = packages, Properties = properties };
        }

        public async Task<OrphanedBlobsStep> OrphanedBlobsAsync()
        {
            using var activity = PackagesCleanupTelemetry.ActivitySource.StartActivity("orphaned_blobs");
            long blobs = 0, removed = 0, missing = 0, reused = 0, failed = 0, last = 0;
            void Count(Removal removal)
            {
                switch (removal)
                {
                    case Removal.Removed:
                        removed++;
                        break;
                    case Removal.Missing:
                        missing++;
                        break;
                    case Removal.Reused:
                        reused++;
                        break;
                    case Removal.Failed:
                        failed++;
                        break;
                }
            }

            // First the content files whose rows went in a run that stopped (crash, lost connection) or
            // failed to remove them: the queue is written in the transaction that deletes the rows.
            var resumed = 0L;
            var lastQueued = string.Empty;
            while (true)
            {
                var queued = await ListAsync(connection, null,
                    $"SELECT hash_sha256 FROM forge_content_removal WHERE hash_sha256 > $1::bpchar ORDER BY hash_sha256 LIMIT {BatchSize}",
                    r => r.GetString(0), cancellationToken, lastQueued);
                if (queued.Count == 0)
                {
                    break;
                }

                lastQueued = queued[^1];
                resumed += queued.Count;
                if (dryRun)
                {
                    BytesFreed += queued.Sum(h => SizeOnDisk(h.Trim().ToLowerInvariant()));
                    continue;
                }

                await RemoveQueuedAsync(queued, Count, resumed: true);
            }

            // In a dry run, files that step 2 would remove do not keep a blob.
            var unused = dryRun
                ? $"NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id AND NOT ({ExpiringFile}))"
                : "NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)";
            while (true)
            {
                var candidates = await ListAsync(connection, null, $"""
                    SELECT b.id, b.hash_sha256, b.size FROM package_blob b
                    WHERE b.created_unix < $1 AND b.id > $2 AND {unused} ORDER BY b.id LIMIT {BatchSize}
                    """, r => (Id: r.GetInt64(0), Hash: r.GetString(1).Trim().ToLowerInvariant(), Size: r.GetInt64(2)), cancellationToken, cutoff, last);
                if (candidates.Count == 0)
                {
                    break;
                }

                last = candidates[^1].Id;
                if (dryRun)
                {
                    // What the real run would free: the files on disk, as it counts them.
                    blobs += candidates.Count;
                    BytesFreed += candidates.Sum(c => SizeOnDisk(c.Hash));
                    continue;
                }

                if (owner.hooks.BeforeBlobLock is { } beforeLock)
                {
                    await beforeLock(candidates.Select(c => c.Id).ToList());
                }

                List<string> deleted;
                await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
                {
                    // Locked first (a push that uses a blob locks it too, and the foreign key from
                    // package_file makes it wait); re-checked in a statement of its own, after the lock.
                    var locked = await ListAsync(connection, transaction,
                        "SELECT id FROM package_blob WHERE id = ANY($1) ORDER BY id FOR UPDATE SKIP LOCKED",
                        r => r.GetInt64(0), cancellationToken, candidates.Select(c => c.Id).ToArray());
                    // The rows go and their content files are queued in one transaction: whatever stops
                    // this run after the commit, the next run finds the files to remove in the queue.
                    deleted = await ListAsync(connection, transaction, """
                        WITH deleted AS (
                            DELETE FROM package_blob b WHERE b.id = ANY($1)
                            AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)
                            RETURNING b.hash_sha256),
                        queued AS (
                            INSERT INTO forge_content_removal (hash_sha256, queued_unix)
                            SELECT hash_sha256, $2 FROM deleted ON CONFLICT (hash_sha256) DO NOTHING)
                        SELECT hash_sha256 FROM deleted
                        """, r => r.GetString(0), cancellationToken, locked.ToArray(), owner.time.GetUtcNow().ToUnixTimeSeconds());
                    await transaction.CommitAsync(cancellationToken);
                }

                blobs += deleted.Count;
                owner.telemetry.BlobsDeleted.Add(deleted.Count);
                await RemoveQueuedAsync(deleted, Count, resumed: false);
            }

            activity?.SetTag("forge.cleanup.content_files_resumed", resumed);
            activity?.SetTag("forge.cleanup.blobs", blobs);
            activity?.SetTag("forge.cleanup.content_files_failed", failed);
            return new OrphanedBlobsStep { Blobs = blobs, ContentFilesRemoved = removed, ContentFilesMissing = missing, ContentFilesReused = reused, ContentFilesFailed = failed };
        }

        /// <summary>
        /// Removes the content files of queued hashes (as stored: character(64)) and dequeues each one whose
        /// file is gone or that a row uses again; a file whose removal failed stays queued for the next run.
        /// A file already gone is worth a warning only in the run that deleted its row (a resumed removal
        /// may have been done just before the stop).
        /// </summary>
        private async Task RemoveQueuedAsync(List<string> queued, Action<Removal> count, bool resumed)
        {
            var done = new List<string>();
            foreach (var hash in queued)
            {
                var normalized = hash.Trim().ToLowerInvariant();
                var removal = await RemoveContentAsync(normalized, warnIfMissing: !resumed);
                count(removal);
                // Not a hash at all (a damaged row): logged and counted once, then dropped; it names no file.
                if (removal != Removal.Failed || !ContentStore.IsSha256Hex(normalized))
                {
                    done.Add(hash);
                }
            }

            if (done.Count > 0)
            {
                await ScalarAsync<object>(connection, null, "DELETE FROM forge_content_removal WHERE hash_sha256 = ANY($1::bpchar[])",
                    CancellationToken.None, (object)done.ToArray());
            }
        }

        private async Task<Removal> RemoveContentAsync(string hash, bool warnIfMissing)
        {
            if (owner.hooks.BeforeContentRemoval is { } before)
            {
                await before(hash);
            }

            if (!ContentStore.IsSha256Hex(hash))
            {
                owner.LogRemovalFailed(new ArgumentException("not a SHA-256 digest"), hash);
                owner.telemetry.RemovalFailures.Add(1);
                return Removal.Failed;
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await BlobContentLock.AcquireAsync(connection, transaction, hash, cancellationToken);
            // The same content may have been uploaded again since the row went: then the file is its.
            if (await BlobContentLock.RowExistsAsync(connection, transaction, hash, cancellationToken))
            {
                return Removal.Reused;
            }

            try
            {
                owner.hooks.RemoveContent?.Invoke(hash);
                if (owner.store.Delete(hash) is not { } bytes)
                {
                    if (warnIfMissing)
                    {
                        owner.LogContentMissing(hash);
                    }

                    return Removal.Missing;
                }

                BytesFreed += bytes;
                owner.telemetry.BytesFreed.Add(bytes);
                return Removal.Removed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing in the database names this file any more; fsck --repair will find it.
                owner.LogRemovalFailed(e, hash);
                owner.telemetry.RemovalFailures.Add(1);
                return Removal.Failed;
            }
        }

        private long SizeOnDisk(string hash)
        {
            try
            {
                var file = new FileInfo(owner.store.PathOf(hash));
                return file.Exists ? file.Length : 0;
            }
            catch (ArgumentException)
            {
                return 0;
            }
        }

        /// <summary>Removes an expired session's partial file, if it has one.</summary>
        private bool RemoveStale(string uploadId)
        {
            try
            {
                var file = new FileInfo(owner.store.UploadPathOf(uploadId));
                return file.Exists && Remove(file);
            }
            catch (ArgumentException e)
            {
                owner.LogUploadRemovalFailed(e, uploadId);
                return false;
            }
        }

        /// <summary>Removes a file that is not content (in a dry run: counts it), adding its size to what is freed.</summary>
        private bool Remove(FileInfo file)
        {
            try
            {
                var size = file.Length;
                if (!dryRun)
                {
                    file.Delete();
                    owner.telemetry.BytesFreed.Add(size);
                }

                BytesFreed += size;
                return true;
            }
            catch (FileNotFoundException)
            {
                // Gone since the folder was listed (a push put its staged file in place): nothing to free.
                // A file that vanished also reads as written in 1601, which is how it got here.
                return false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                owner.LogUploadRemovalFailed(e, file.Name);
                return false;
            }
        }
    }

    private enum Removal
    {
        Removed,
        Missing,
        Reused,
        Failed,
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired-data cleanup skipped: another run is in progress")]
    private partial void LogSkipped();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Content file of blob {Sha256} was already gone when its row was deleted")]
    private partial void LogContentMissing(string sha256);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not remove the content file of deleted blob {Sha256}; 'forge packages fsck --repair' removes such files")]
    private partial void LogRemovalFailed(Exception e, string sha256);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the partial file of expired upload {UploadId}")]
    private partial void LogUploadRemovalFailed(Exception e, string uploadId);
}
