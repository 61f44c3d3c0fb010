using Forge.Packages.ExpiredData;
using Forge.Packages.Schema;

namespace Forge.Packages.Container.ExpiredData;

/// <summary>
/// The registry's second step of the expired-data cleanup: files of the repositories' internal upload versions
/// (blobs uploaded or mounted that no manifest took) older than the cutoff go with their properties, then every
/// upload version left without files. Their blobs are then orphaned, and the Packages module's last step frees them.
/// </summary>
public sealed class ExpiredUploadedBlobsStep : IExpiredDataStep
{
    // What a version of the internal upload kind is.
    private const string UploadVersion = $"""
        v.lower_version = '{ContainerLayout.UploadVersion}' AND v.is_internal
        AND EXISTS (SELECT 1 FROM package p WHERE p.id = v.package_id AND p.type = '{ContainerLayout.PackageType}')
        """;

    // A file this step removes: one of an upload version, created before the cutoff ($1).
    private const string ExpiringFile = $"""
        EXISTS (SELECT 1 FROM package_version v WHERE v.id = f.version_id AND {UploadVersion}) AND f.created_unix < $1
        """;

    private static readonly string DeleteFiles = $"""
        WITH fp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id = ANY($1) RETURNING 1),
        f AS (DELETE FROM package_file WHERE id = ANY($1))
        SELECT count(*) FROM fp
        """;

    private static readonly string DeleteEmptyVersions = $"""
        WITH v AS (DELETE FROM package_version v WHERE v.id = ANY($1)
                   AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id) RETURNING id),
        vp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND ref_id IN (SELECT id FROM v) RETURNING 1)
        SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM vp)
        """;

    public string Name => "expired_uploaded_blobs";

    public string ReportKey => "expiredUploadedBlobs";

    public int Order => 20;

    public ExpiredDataForecast Forecast { get; } = new(ExpiringFile, UploadVersion);

    public ExpiredDataStepReport NothingDone { get; } = new ExpiredUploadedBlobsReport();

    public async Task<ExpiredDataStepReport> RunAsync(ExpiredDataRun run)
    {
        var cancellationToken = run.CancellationToken;
        long files = 0, fileProperties = 0, last = 0;
        while (true)
        {
            await using var transaction = await run.Connection.BeginTransactionAsync(cancellationToken);
            var ids = await PackagesSql.ListAsync(run.Connection, transaction, $"""
                SELECT f.id FROM package_file f WHERE {ExpiringFile} AND f.id > $2 ORDER BY f.id LIMIT {ExpiredDataRun.BatchSize}
                {(run.DryRun ? string.Empty : "FOR UPDATE SKIP LOCKED")}
                """, r => r.GetInt64(0), cancellationToken, run.CutoffUnix, last);
            if (ids.Count == 0)
            {
                break;
            }

            last = ids[^1];
            files += ids.Count;
            fileProperties += run.DryRun
                ? await PackagesSql.ScalarAsync<long>(run.Connection, transaction,
                    $"SELECT count(*) FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id = ANY($1)", cancellationToken, ids.ToArray())
                : await PackagesSql.ScalarAsync<long>(run.Connection, transaction, DeleteFiles, cancellationToken, ids.ToArray());
            if (!run.DryRun)
            {
                await transaction.CommitAsync(cancellationToken);
            }
        }

        // Then every upload version left without files, in batches. In a dry run: those whose files all expire.
        var empty = run.DryRun
            ? $"NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id AND NOT ({ExpiringFile}))"
            : "NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id)";
        // Locked first, re-checked in a statement of its own: a file added meanwhile keeps its version.
        var (versions, versionProperties) = await run.DeleteInBatchesAsync(
            lockClause => $"""
                SELECT v.id FROM package_version v WHERE {UploadVersion} AND {empty} AND v.id > $2 ORDER BY v.id LIMIT {ExpiredDataRun.BatchSize} {lockClause}
                """,
            "FOR UPDATE OF v SKIP LOCKED",
            PropertyRefType.Version,
            DeleteEmptyVersions);

        if (!run.DryRun)
        {
            run.Telemetry.FilesDeleted.Add(files);
            run.Telemetry.VersionsDeleted.Add(versions);
        }

        run.StepActivity?.SetTag("forge.cleanup.files", files);
        run.StepActivity?.SetTag("forge.cleanup.versions", versions);
        return new ExpiredUploadedBlobsReport { Files = files, FileProperties = fileProperties, Versions = versions, VersionProperties = versionProperties };
    }
}
