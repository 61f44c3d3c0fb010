using System.Text.Json;
using Npgsql;

namespace Forge.Bench;

/// <summary>
/// The reference algorithm, written here from its description as a baseline: in one transaction, read
/// every container version with its metadata in id order; keep a map from digest to digest version; for
/// every other version whose metadata contains the text <c>"manifests":[{</c>, parse it and drop the
/// digests it lists from the map; delete what is left and older than the cutoff in batches of 500 (files,
/// file properties, version properties, versions, by id lists); commit at the end.
/// </summary>
public static class ReferenceCleanup
{
    private const int BatchSize = 500;
    private const string IndexMarker = "\"manifests\":[{";

    /// <summary>Deletes (or, with <paramref name="listOnly"/>, only finds and rolls back) and returns the doomed version ids.</summary>
    public static async Task<List<long>> RunAsync(string connectionString, TimeSpan olderThan, bool listOnly)
    {
        var cutoff = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - (long)olderThan.TotalSeconds;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var digests = new Dictionary<string, (long Id, long Created)>();
        await using (var read = new NpgsqlCommand(
            """
            SELECT v.id, v.lower_version, v.created_unix, v.metadata_json
            FROM package_version v JOIN package p ON p.id = v.package_id
            WHERE p.type = 'container'
            ORDER BY v.id
            """, connection, transaction) { CommandTimeout = 0 })
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var version = reader.GetString(1);
                if (version.StartsWith("sha256:", StringComparison.Ordinal))
                {
                    digests[version] = (reader.GetInt64(0), reader.GetInt64(2));
                    continue;
                }

                var metadata = reader.IsDBNull(3) ? null : reader.GetString(3);
                if (metadata is null || !metadata.Contains(IndexMarker, StringComparison.Ordinal))
                {
                    continue;
                }

                using var document = JsonDocument.Parse(metadata);
                foreach (var entry in document.RootElement.GetProperty("manifests").EnumerateArray())
                {
                    digests.Remove(entry.GetProperty("digest").GetString() ?? string.Empty);
                }
            }
        }

        var doomed = digests.Values.Where(d => d.Created < cutoff).Select(d => d.Id).Order().ToList();
        if (listOnly)
        {
            await transaction.RollbackAsync();
            return doomed;
        }

        for (var start = 0; start < doomed.Count; start += BatchSize)
        {
            var batch = doomed.GetRange(start, Math.Min(BatchSize, doomed.Count - start)).ToArray();
            var files = new List<long>();
            await using (var select = Command(connection, transaction, "SELECT id FROM package_file WHERE version_id = ANY($1)", batch))
            await using (var reader = await select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    files.Add(reader.GetInt64(0));
                }
            }

            await ExecuteAsync(connection, transaction, "DELETE FROM package_property WHERE ref_type = 1 AND ref_id = ANY($1)", files.ToArray());
            await ExecuteAsync(connection, transaction, "DELETE FROM package_file WHERE version_id = ANY($1)", batch);
            await ExecuteAsync(connection, transaction, "DELETE FROM package_property WHERE ref_type = 0 AND ref_id = ANY($1)", batch);
            await ExecuteAsync(connection, transaction, "DELETE FROM package_version WHERE id = ANY($1)", batch);
        }

        await transaction.CommitAsync();
        return doomed;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, long[] ids)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddWithValue(ids);
        return command;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, long[] ids)
    {
        await using var command = Command(connection, transaction, sql, ids);
        await command.ExecuteNonQueryAsync();
    }
}
