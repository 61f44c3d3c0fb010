using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// Writes when versions were last pulled, into Forge's table <c>forge_package_version_pull</c> (one row per version,
/// deleted with its version), which the retention rules read. The registry records pulls in memory and writes them
/// here in batches (<see cref="Registry.PullRecorder"/>).
/// </summary>
public sealed class VersionPulls(NpgsqlDataSource dataSource)
{
    // One statement for the whole batch. The versions are locked (FOR KEY SHARE, in id order, as the deletes lock
    // them) before their rows are written: a version deleted before the flush, or by a transaction that commits
    // while the flush waits for its lock, is skipped rather than failing the insert's foreign key and the batch.
    // GREATEST: another node (or an earlier flush) may have written a later pull.
    private const string Upsert = """
        WITH live AS (
            SELECT p.version_id, p.pulled_unix
            FROM unnest($1::bigint[], $2::bigint[]) AS p(version_id, pulled_unix)
            JOIN package_version v ON v.id = p.version_id
            ORDER BY p.version_id
            FOR KEY SHARE OF v
        )
        INSERT INTO forge_package_version_pull (version_id, last_pulled_unix)
        SELECT version_id, pulled_unix FROM live
        ON CONFLICT (version_id) DO UPDATE
            SET last_pulled_unix = GREATEST(forge_package_version_pull.last_pulled_unix, EXCLUDED.last_pulled_unix)
        """;

    /// <summary>
    /// Records that each version of <paramref name="versionIds"/> was last pulled at the Unix time of the same index
    /// in <paramref name="pulledUnix"/>, unless a later pull is recorded already; ids must be distinct. Versions that
    /// no longer exist are skipped. Returns the number of versions written.
    /// </summary>
    public async Task<int> WriteAsync(long[] versionIds, long[] pulledUnix, CancellationToken cancellationToken)
    {
        if (versionIds.Length != pulledUnix.Length)
        {
            throw new ArgumentException("There must be one pull time per version id.", nameof(pulledUnix));
        }

        return versionIds.Length == 0 ? 0 : await PackagesSql.ExecuteAsync(dataSource, Upsert, cancellationToken, versionIds, pulledUnix);
    }
}
