using Forge.Packages.Schema;

namespace Forge.Packages.ExpiredData;

/// <summary>Packages without any version go, with their package properties.</summary>
public sealed class EmptyPackagesStep : IExpiredDataStep
{
    /// <summary>After every step that removes versions; before <see cref="OrphanedBlobsStep"/>.</summary>
    public const int StepOrder = 100;

    public string Name => "empty_packages";

    public string ReportKey => "emptyPackages";

    public int Order => StepOrder;

    public ExpiredDataForecast Forecast => ExpiredDataForecast.Nothing;

    public ExpiredDataStepReport NothingDone { get; } = new EmptyPackagesReport();

    public async Task<ExpiredDataStepReport> RunAsync(ExpiredDataRun run)
    {
        // In a dry run a package counts as empty when every version it has is one that an earlier step removes.
        var empty = $"NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id AND {run.VersionStays})";
        // Locked, then re-checked with a fresh snapshot: a version inserted meanwhile keeps its package.
        var (packages, properties) = await run.DeleteInBatchesAsync(
            lockClause => $"SELECT p.id FROM package p WHERE {empty} AND p.id > $2 ORDER BY p.id LIMIT {ExpiredDataRun.BatchSize} {lockClause}",
            "FOR UPDATE SKIP LOCKED",
            PropertyRefType.Package,
            $"""
            WITH p AS (DELETE FROM package p WHERE p.id = ANY($1)
                       AND NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id) RETURNING id),
            pp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.Package:D} AND ref_id IN (SELECT id FROM p) RETURNING 1)
            SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM pp)
            """);

        if (!run.DryRun)
        {
            run.Telemetry.PackagesDeleted.Add(packages);
        }

        run.StepActivity?.SetTag("forge.cleanup.packages", packages);
        return new EmptyPackagesReport { Packages = packages, Properties = properties };
    }
}
