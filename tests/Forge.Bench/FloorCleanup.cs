using Npgsql;

namespace Forge.Bench;

/// <summary>
/// The floor: the same deletion as a handful of set-based statements written for the generated data, with
/// no safety work at all (no locks taken on purpose, no re-check, no batches, each statement its own
/// transaction): the least the database itself must do. Tuned by hand for this data: enough work_mem
/// for the doomed set's hash anti-join, and index nested loops for the deletions. The doomed versions are the digest versions of
/// container packages created before the cutoff that no <c>container.manifest.reference</c> property of
/// a version of the same package names.
/// </summary>
public static class FloorCleanup
{
    private const string FindDoomed =
        """
        CREATE TEMP TABLE doomed AS
        SELECT v.id FROM package_version v JOIN package p ON p.id = v.package_id AND p.type = 'container'
        WHERE v.lower_version LIKE 'sha256:%' AND v.created_unix < $1
          AND NOT EXISTS (
            SELECT 1 FROM package_property r JOIN package_version i ON i.id = r.ref_id
            WHERE r.ref_type = 0 AND r.name = 'container.manifest.reference'
              AND r.value = v.lower_version AND i.package_id = v.package_id)
        """;

    private static readonly string[] Deletions =
    [
        "DELETE FROM package_property r USING package_file f, doomed d WHERE d.id = f.version_id AND r.ref_type = 1 AND r.ref_id = f.id",
        "DELETE FROM package_file f USING doomed d WHERE f.version_id = d.id",
        "DELETE FROM package_property r USING doomed d WHERE r.ref_type = 0 AND r.ref_id = d.id",
        "DELETE FROM package_version v USING doomed d WHERE v.id = d.id",
    ];

    /// <summary>Deletes the doomed versions; with <paramref name="listOnly"/>, deletes nothing and returns their ids.</summary>
    public static async Task<List<long>> RunAsync(string connectionString, TimeSpan olderThan, bool listOnly)
    {
        var cutoff = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - (long)olderThan.TotalSeconds;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // Hash joins that fit in memory (at 1,000,000 versions the default 4MB spills to disk in batches).
        await BenchServer.ExecuteAsync(connection, "SET work_mem = '256MB'");
        await using (var find = new NpgsqlCommand(FindDoomed, connection) { CommandTimeout = 0 })
        {
            find.Parameters.AddWithValue(cutoff);
            await find.ExecuteNonQueryAsync();
        }

        await BenchServer.ExecuteAsync(connection, "ANALYZE doomed");
        // The deletions driven by the doomed ids through the indexes: the planner's hash joins over whole
        // tables took twice as long at 1,000,000 versions (measured: 16.6 s against 8.0 s for the four).
        await BenchServer.ExecuteAsync(connection, "SET enable_hashjoin = off");
        await BenchServer.ExecuteAsync(connection, "SET enable_mergejoin = off");
        var doomed = new List<long>();
        if (listOnly)
        {
            await using var list = new NpgsqlCommand("SELECT id FROM doomed ORDER BY id", connection);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                doomed.Add(reader.GetInt64(0));
            }

            return doomed;
        }

        foreach (var statement in Deletions)
        {
            await BenchServer.ExecuteAsync(connection, statement);
        }

        return doomed;
    }
}
