using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// The cleanup's store over PostgreSQL. One connection per run carries the session advisory lock that
/// makes runs exclusive across the deployment (released by PostgreSQL if the connection dies), the
/// inventory, and every batch transaction.
/// </summary>
public sealed class NpgsqlContainerCleanupStore(NpgsqlDataSource dataSource) : IContainerCleanupStore
{
    /// <summary>The advisory lock key of <c>cleanup_container_sha256</c> runs (ASCII "FrgCSha2").</summary>
    public const long RunLockKey = 0x4672_6743_5368_6132;

    public async Task<IContainerCleanupRun?> TryStartRunAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
            command.Parameters.AddWithValue(RunLockKey);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new Run(connection);
            }

            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Run(NpgsqlConnection connection) : IContainerCleanupRun
    {
        public async IAsyncEnumerable<ContainerVersionRecord> ReadVersionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // One streamed statement: rows arrive as they are read, never all at once in memory.
            await using var command = new NpgsqlCommand(
                """
                SELECT v.id, v.package_id, p.name, v.lower_version, v.created_unix, v.metadata_json
                FROM package_version v
                JOIN package p ON p.id = v.package_id
                WHERE p.type = 'container'
                ORDER BY v.id
                """,
                connection);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                yield return ReadVersion(reader);
            }
        }

        public async IAsyncEnumerable<ReferenceProperty> ReadReferencePropertiesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand(
                """
                SELECT pp.ref_id, pp.value
                FROM package_property pp
                JOIN package_version v ON v.id = pp.ref_id
                JOIN package p ON p.id = v.package_id
                WHERE pp.ref_type = 0 AND pp.name = 'container.manifest.reference' AND p.type = 'container'
                """,
                connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                yield return new ReferenceProperty(reader.GetInt64(0), reader.GetString(1));
            }
        }

        public async Task<IContainerCleanupBatch> BeginBatchAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            try
            {
                // Locks in id order, the order writers lock in too, so that the two rarely deadlock.
                await using var command = new NpgsqlCommand(
                    """
                    SELECT v.id, v.lower_version, v.created_unix FROM package_version v
                    JOIN package p ON p.id = v.package_id AND p.type = 'container'
                    WHERE v.id = ANY($1)
                    ORDER BY v.id
                    FOR UPDATE OF v
                    """,
                    connection,
                    transaction);
                command.Parameters.Add(new NpgsqlParameter { Value = versionIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                var present = new List<LockedVersion>();
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        present.Add(new LockedVersion(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
                    }
                }

                return new Batch(connection, transaction, present);
            }
            catch
            {
                await transaction.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (connection.State == ConnectionState.Open)
                {
                    await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                    unlock.Parameters.AddWithValue(RunLockKey);
                    await unlock.ExecuteScalarAsync();
                }
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and the session lock with it.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private sealed class Batch(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LockedVersion> present) : IContainerCleanupBatch
    {
        public IReadOnlyList<LockedVersion> Present => present;

        public async Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> FindPossibleReferrersAsync(
            IReadOnlyCollection<(long PackageId, string Digest)> targets, CancellationToken cancellationToken)
        {
            if (targets.Count == 0)
            {
                return [];
            }

            // A statement of its own, after the lock: in READ COMMITTED it sees every referrer that
            // committed before the lock was granted (rule 8).
            await using var command = new NpgsqlCommand(
                """
                WITH t AS (SELECT * FROM unnest($1::bigint[], $2::text[]) AS t(package_id, digest)),
                -- Every digest a version of the candidates' packages mentions, in its text or in its
                -- reference properties, extracted once per version (MATERIALIZED keeps the planner from
                -- repeating the extraction per candidate), then hash-joined with the candidates.
                mentioned AS MATERIALIZED (
                    SELECT v.id, v.package_id, m.digest[1] AS digest FROM package_version v
                    CROSS JOIN LATERAL regexp_matches(lower(v.metadata_json), 'sha256:[0-9a-f]{64}', 'g') AS m(digest)
                    WHERE v.package_id = ANY($3)
                    UNION ALL
                    SELECT v.id, v.package_id, m.digest[1] FROM package_version v
                    JOIN package_property pp ON pp.ref_id = v.id AND pp.ref_type = 0 AND pp.name = 'container.manifest.reference'
                    CROSS JOIN LATERAL regexp_matches(lower(pp.value), 'sha256:[0-9a-f]{64}', 'g') AS m(digest)
                    WHERE v.package_id = ANY($3)
                ),
                referrers AS (
                    SELECT m.id FROM mentioned m JOIN t ON t.package_id = m.package_id AND t.digest = m.digest
                    UNION
                    -- Text the scan cannot read (JSON \u escapes): the caller's parser decides.
                    SELECT v.id FROM package_version v
                    WHERE v.package_id = ANY($3) AND strpos(v.metadata_json, '\u') > 0
                    UNION
                    -- Digest versions whose name is not sha256:<64 hex> (damaged rows): plain text search.
                    SELECT v.id FROM t
                    JOIN package_version v ON v.package_id = t.package_id
                    WHERE t.digest !~ '^sha256:[0-9a-f]{64}$'
                      AND (strpos(lower(v.metadata_json), t.digest) > 0
                           OR EXISTS (SELECT 1 FROM package_property pp WHERE pp.ref_id = v.id AND pp.ref_type = 0
                                      AND pp.name = 'container.manifest.reference' AND strpos(lower(pp.value), t.digest) > 0))
                )
                SELECT v.id, v.package_id, p.name, v.lower_version, v.created_unix, v.metadata_json,
                       ARRAY(SELECT pp.value FROM package_property pp
                             WHERE pp.ref_type = 0 AND pp.ref_id = v.id AND pp.name = 'container.manifest.reference')
                FROM referrers r
                JOIN package_version v ON v.id = r.id
                JOIN package p ON p.id = v.package_id
                """,
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.PackageId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.Digest).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = targets.Select(t => t.PackageId).Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            var result = new List<(ContainerVersionRecord, IReadOnlyList<string>)>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                result.Add((ReadVersion(reader), reader.GetFieldValue<string[]>(6)));
            }

            return result;
        }

        public async Task<DeletionCounts> DeleteAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        {
            if (versionIds.Count == 0)
            {
                return default;
            }

            // One statement: files, their properties (ref_type 1), the versions' properties (ref_type 0),
            // the versions. Properties of other ref types are never touched, whatever their ref_id.
            return await CountsAsync(
                """
                WITH f AS (DELETE FROM package_file WHERE version_id = ANY($1) RETURNING id),
                fp AS (DELETE FROM package_property WHERE ref_type = 1 AND ref_id IN (SELECT id FROM f) RETURNING 1),
                vp AS (DELETE FROM package_property WHERE ref_type = 0 AND ref_id = ANY($1) RETURNING 1),
                v AS (DELETE FROM package_version WHERE id = ANY($1) RETURNING 1)
                SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM f), (SELECT count(*) FROM fp) + (SELECT count(*) FROM vp)
                """,
                versionIds,
                cancellationToken);
        }

        public async Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        {
            if (versionIds.Count == 0)
            {
                return default;
            }

            return await CountsAsync(
                """
                SELECT (SELECT count(*) FROM package_version WHERE id = ANY($1)),
                       (SELECT count(*) FROM package_file WHERE version_id = ANY($1)),
                       (SELECT count(*) FROM package_property WHERE ref_type = 1
                            AND ref_id IN (SELECT id FROM package_file WHERE version_id = ANY($1)))
                     + (SELECT count(*) FROM package_property WHERE ref_type = 0 AND ref_id = ANY($1))
                """,
                versionIds,
                cancellationToken);
        }

        public Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

        public ValueTask DisposeAsync() => transaction.DisposeAsync();

        private async Task<DeletionCounts> CountsAsync(string sql, IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = versionIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new DeletionCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    private static ContainerVersionRecord ReadVersion(NpgsqlDataReader reader)
        => new(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetString(5));
}
