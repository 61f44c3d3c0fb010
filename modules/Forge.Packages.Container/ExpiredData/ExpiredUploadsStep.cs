using Forge.Packages.Content;
using Forge.Packages.ExpiredData;
using Forge.Packages.Schema;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.ExpiredData;

/// <summary>
/// The registry's first step of the expired-data cleanup: upload sessions not updated since the cutoff go with
/// their partial files and the chunks kept in the bucket; so do partial files and kept chunks without a session and
/// staged files in the staging folder's <c>tmp/</c>, all older than the cutoff (left by a writer that died).
/// </summary>
public sealed partial class ExpiredUploadsStep(IUploadChunkStore chunks, ILogger<ExpiredUploadsStep> logger) : IExpiredDataStep
{
    public string Name => "expired_uploads";

    public string ReportKey => "expiredUploads";

    public int Order => 10;

    public ExpiredDataForecast Forecast => ExpiredDataForecast.Nothing;

    public ExpiredDataStepReport NothingDone { get; } = new ExpiredUploadsReport();

    public async Task<ExpiredDataStepReport> RunAsync(ExpiredDataRun run)
    {
        long sessions = 0, files = 0;
        var lastId = string.Empty;
        while (true)
        {
            await using var transaction = await run.Connection.BeginTransactionAsync(run.CancellationToken);
            var ids = await PackagesSql.ListAsync(run.Connection, transaction, $"""
                SELECT id FROM package_blob_upload WHERE updated_unix < $1 AND id > $2 ORDER BY id LIMIT {ExpiredDataRun.BatchSize}
                {(run.DryRun ? string.Empty : "FOR UPDATE SKIP LOCKED")}
                """, r => r.GetString(0), run.CancellationToken, run.CutoffUnix, lastId);
            if (ids.Count == 0)
            {
                break;
            }

            // Files first, rows second: a crash in between leaves expired rows without files, which
            // the next run removes; the other order would leave files nothing names.
            lastId = ids[^1];
            sessions += ids.Count;
            files += ids.Count(id => RemovePartial(run, id));
            if (!run.DryRun)
            {
                foreach (var id in ids.Where(ContentKeys.IsUploadId))
                {
                    await chunks.DeleteAsync(id, run.CancellationToken);
                }

                await PackagesSql.ExecuteAsync(run.Connection, transaction, "DELETE FROM package_blob_upload WHERE id = ANY($1)", run.CancellationToken, ids.ToArray());
                await transaction.CommitAsync(run.CancellationToken);
            }
        }

        var stale = await StaleFilesAsync(run);
        run.Telemetry.UploadsDeleted.Add(run.DryRun ? 0 : sessions);
        run.StepActivity?.SetTag("forge.cleanup.sessions", sessions);
        run.StepActivity?.SetTag("forge.cleanup.files", files);
        run.StepActivity?.SetTag("forge.cleanup.stale_files", stale);
        return new ExpiredUploadsReport { Sessions = sessions, Files = files, StaleFiles = stale };
    }

    /// <summary>Partial files and kept chunks without a session, and staged files, all older than the cutoff: a writer died.</summary>
    private async Task<long> StaleFilesAsync(ExpiredDataRun run)
    {
        // Never younger than an hour, whatever OlderThan says: a push may be waiting on a lock with its
        // content staged.
        var before = DateTimeOffset.FromUnixTimeSeconds(Math.Min(run.CutoffUnix, run.Time.GetUtcNow().ToUnixTimeSeconds() - 3600)).UtcDateTime;
        var stale = run.Staging.EnumerateTemporary().Count(f => f.LastWriteTimeUtc < before && run.RemoveFile(f));
        foreach (var chunk in run.Staging.EnumerateUploads().Where(f => f.LastWriteTimeUtc < before).Chunk(ExpiredDataRun.BatchSize))
        {
            var known = await PackagesSql.ListAsync(run.Connection, null, "SELECT id FROM package_blob_upload WHERE id = ANY($1)",
                r => r.GetString(0), run.CancellationToken, chunk.Select(f => f.Name).ToArray());
            stale += chunk.Count(f => !known.Contains(f.Name) && run.RemoveFile(f));
        }

        var kept = new List<string>();
        await foreach (var (id, written) in chunks.EnumerateSessionsAsync(run.CancellationToken))
        {
            if (written < before)
            {
                kept.Add(id);
            }
        }

        foreach (var chunk in kept.Chunk(ExpiredDataRun.BatchSize))
        {
            var known = await PackagesSql.ListAsync(run.Connection, null, "SELECT id FROM package_blob_upload WHERE id = ANY($1)",
                r => r.GetString(0), run.CancellationToken, chunk.ToArray());
            foreach (var id in chunk.Where(id => !known.Contains(id)))
            {
                stale++;
                if (!run.DryRun)
                {
                    await chunks.DeleteAsync(id, run.CancellationToken);
                }
            }
        }

        return stale;
    }

    /// <summary>Removes an expired session's partial file, if it has one.</summary>
    private bool RemovePartial(ExpiredDataRun run, string uploadId)
    {
        try
        {
            var file = new FileInfo(run.Staging.UploadPathOf(uploadId));
            return file.Exists && run.RemoveFile(file);
        }
        catch (ArgumentException e)
        {
            LogBadUploadId(e, uploadId);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expired upload {UploadId} has an id that names no file; its row goes, no file is touched")]
    private partial void LogBadUploadId(Exception e, string uploadId);
}
