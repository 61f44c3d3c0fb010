using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Schema;

namespace Forge.Packages.Container.Data;

/// <summary>
/// The dangling image cleanup's store over PostgreSQL. One connection per run carries the session advisory lock that
/// makes runs exclusive across the deployment (released by PostgreSQL if the connection dies) and the first worker's
/// batch transactions; batches open at once take connections of their own from the pool, and the inventory reads on
/// another, so that it can run ahead of the batches.
/// </summary>
public sealed class NpgsqlDanglingImageStore(NpgsqlDataSource dataSource) : IDanglingImageStore
{
    /// <summary>The advisory lock key of <c>cleanup_container_sha256</c> runs (ASCII "FrgCSha2").</summary>
    public const long RunLockKey = 0x4672_6743_5368_6132;

    /// <summary>About how many versions one inventory chunk reads.</summary>
    private const int ChunkVersions = 5_000;

    public async Task<IDanglingImageRun?> TryStartRunAsync(bool waitForLock, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await LockAsync(connection, waitForLock, cancellationToken))
            {
                return new Run(dataSource, connection);
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

    private static async Task<bool> LockAsync(NpgsqlConnection connection, bool wait, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            return await PackagesSql.ScalarAsync<bool>(connection, null, "SELECT pg_try_advisory_lock($1)", cancellationToken, RunLockKey);
        }

        try
        {
            await PackagesSql.ExecuteAsync(connection, null, "SET lock_timeout = '1h'", cancellationToken);
            await PackagesSql.ExecuteAsync(connection, null, "SELECT pg_advisory_lock($1)", cancellationToken, RunLockKey);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return false;
        }
        finally
        {
            await PackagesSql.ExecuteAsync(connection, null, "RESET lock_timeout", CancellationToken.None);
        }
    }

    private sealed class Run(NpgsqlDataSource dataSource, NpgsqlConnection connection) : IDanglingImageRun
    {
        // Batches may run at once (the cleanup's workers, each on packages of its own): each takes a connection of
        // its own, the run's first (the one holding the lock), then more from the pool, returned when the batch ends.
        private readonly Lock lanesLock = new();
        private readonly Stack<NpgsqlConnection> idleLanes = new([connection]);
        private readonly List<NpgsqlConnection> openedLanes = [];

        public async IAsyncEnumerable<InventoryChunk> ReadInventoryAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // Packages in id order, a few at a time: memory follows the largest chunk, not the registry,
            // and each chunk is one short read-only transaction (a consistent view of its packages). A
            // connection of its own, so that the next chunk is read while the run's connection deletes.
            await using var inventoryConnection = await dataSource.OpenConnectionAsync(cancellationToken);
            var after = long.MinValue;
            var take = 64;
            while (true)
            {
                InventoryChunk chunk;
                await using (var transaction = await inventoryConnection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken))
                {
                    var packages = await NextPackagesAsync(transaction, after, take, cancellationToken);
                    if (packages.Count == 0)
                    {
                        yield break;
                    }

                    after = packages.Keys.Max();
                    var versions = await ReadVersionsAsync(transaction, packages, cancellationToken);
                    var (references, subjects) = await VersionPropertiesAsync(transaction, versions, cancellationToken);
                    var tagManifests = await TagManifestsAsync(transaction, versions, subjects, cancellationToken);
                    chunk = new InventoryChunk(versions, references, subjects, tagManifests);
                    await transaction.CommitAsync(cancellationToken);
                }

                yield return chunk;
                // Aim at about ChunkVersions versions per chunk, whatever the packages' sizes.
                take = chunk.Versions.Count > 2 * ChunkVersions ? Math.Max(1, take / 2)
                    : chunk.Versions.Count < ChunkVersions / 2 ? Math.Min(4096, take * 2)
                    : take;
            }
        }

        private static async Task<Dictionary<long, string>> NextPackagesAsync(NpgsqlTransaction transaction, long after, int take, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand(
                $"SELECT id, name FROM package WHERE type = '{ContainerLayout.PackageType}' AND id > $1 ORDER BY id LIMIT $2", transaction.Connection, transaction);
            command.Parameters.AddWithValue(after);
            command.Parameters.AddWithValue(take);
            var packages = new Dictionary<long, string>(take);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                packages[reader.GetInt64(0)] = reader.GetString(1);
            }

            return packages;
        }

        private static async Task<List<ContainerVersionRecord>> ReadVersionsAsync(
            NpgsqlTransaction transaction, Dictionary<long, string> packages, CancellationToken cancellationToken)
        {
            // The text that cannot name a digest stays in the database (see InventoryChunk): PostgreSQL
            // keeps may_name_digest up to date on every write, so nothing here scans the documents.
            await using var command = new NpgsqlCommand(
                """
                SELECT v.id, v.package_id, v.lower_version, v.created_unix,
                       CASE WHEN v.may_name_digest THEN v.metadata_json END,
                       v.xmin
                FROM package_version v
                WHERE v.package_id = ANY($1)
                ORDER BY v.package_id, v.id
                """,
                transaction.Connection,
                transaction);
            command.Parameters.Add(BigintArray([.. packages.Keys]));
            var versions = new List<ContainerVersionRecord>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var packageId = reader.GetInt64(1);
                versions.Add(new ContainerVersionRecord(
                    reader.GetInt64(0),
                    packageId,
                    packages[packageId],
                    reader.GetString(2),
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetFieldValue<uint>(5)));
            }

            return versions;
        }

        /// <summary>The <c>container.manifest.reference</c> and <c>container.manifest.subject</c> properties of these versions, in one round trip.</summary>
        private static async Task<(List<ReferenceProperty> References, List<SubjectProperty> Subjects)> VersionPropertiesAsync(
            NpgsqlTransaction transaction, List<ContainerVersionRecord> versions, CancellationToken cancellationToken)
        {
            long[] ids = [.. versions.Select(v => v.Id)];
            var references = new List<ReferenceProperty>();
            var subjects = new List<SubjectProperty>();
            await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(ReferencePropertiesSql) { Parameters = { BigintArray(ids) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SubjectPropertiesSql) { Parameters = { BigintArray(ids) } });
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                references.Add(new ReferenceProperty(reader.GetInt64(0), reader.GetString(1)));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                subjects.Add(new SubjectProperty(reader.GetInt64(0), reader.GetString(1)));
            }

            return (references, subjects);
        }

        /// <summary>
        /// The manifest digests of the chunk's tags where a subject property or a cosign referrer tag of the chunk names
        /// that digest, read only in the packages that have such referrers: nothing to read in a chunk without any.
        /// </summary>
        private static async Task<List<TagManifest>> TagManifestsAsync(
            NpgsqlTransaction transaction, List<ContainerVersionRecord> versions, List<SubjectProperty> subjects, CancellationToken cancellationToken)
        {
            var referrers = subjects.Select(s => s.VersionId).ToHashSet();
            var named = versions
                .Select(v => (v.PackageId, Subject: CosignReferrerTags.SubjectOf(v.LowerVersion)))
                .Where(v => v.Subject is not null)
                .ToList();
            string[] wanted = [.. subjects.Select(s => ManifestReferences.Normalize(s.Digest)).Concat(named.Select(n => n.Subject!)).Distinct()];
            if (wanted.Length == 0)
            {
                return [];
            }

            var packages = versions.Where(v => referrers.Contains(v.Id)).Select(v => v.PackageId).Concat(named.Select(n => n.PackageId)).ToHashSet();
            long[] tags =
            [
                .. versions
                    .Where(v => packages.Contains(v.PackageId) && !ContainerLayout.IsDigestVersion(ManifestReferences.Normalize(v.LowerVersion)))
                    .Select(v => v.Id),
            ];
            return await PackagesSql.ListAsync(transaction.Connection!, transaction, TagManifestsSql,
                r => new TagManifest(r.GetInt64(0), r.GetString(1)), cancellationToken, wanted, tags);
        }

        public Task<IDanglingImageBatch> BeginBatchAsync(IReadOnlyList<long> versionIds, bool delete, CancellationToken cancellationToken)
            => LockConflicts.Translated(() => BeginBatchCoreAsync(versionIds, delete, cancellationToken));

        private async Task<NpgsqlConnection> TakeLaneAsync(CancellationToken cancellationToken)
        {
            lock (lanesLock)
            {
                if (idleLanes.TryPop(out var idle))
                {
                    return idle;
                }
            }

            var opened = await dataSource.OpenConnectionAsync(cancellationToken);
            lock (lanesLock)
            {
                openedLanes.Add(opened);
            }

            return opened;
        }

        private void ReturnLane(NpgsqlConnection lane)
        {
            lock (lanesLock)
            {
                idleLanes.Push(lane);
            }
        }

        private async Task<IDanglingImageBatch> BeginBatchCoreAsync(IReadOnlyList<long> versionIds, bool delete, CancellationToken cancellationToken)
        {
            var lane = await TakeLaneAsync(cancellationToken);
            NpgsqlTransaction? transaction = null;
            try
            {
                transaction = await lane.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
                // Rows are locked (or deleted, which locks them) in id order, the order writers lock in too,
                // so that the two rarely deadlock. Deleting right away locks and deletes in one pass; the
                // caller rolls back if the re-check finds a version that must stay.
                // The files and properties are looked up by id arrays, which the index scans walk in sorted order,
                // not by IN (sub-select), whose hashed ids the planner probes in hash order: each probe then lands on
                // another index and heap page (measured: a batch's deletion 100 against 175 ms, cold).
                // A batch's commit need not wait for its WAL to reach the disk: a crash can then forget
                // only the last batches' deletions, which leaves every version whole (rule 6) and the next
                // run deletes them again. Sent with the batch's first statement, in the same round trip.
                await using var batch = new NpgsqlBatch(lane, transaction);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
                var command = new NpgsqlBatchCommand(
                    delete
                        ? $"""
                          WITH v AS (
                              DELETE FROM package_version v
                              WHERE v.id = ANY($1) AND {IsContainerVersion}
                              RETURNING v.id, v.lower_version, v.created_unix),
                          f AS (DELETE FROM package_file WHERE version_id = ANY(ARRAY(SELECT id FROM v)) RETURNING id),
                          fp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id = ANY(ARRAY(SELECT id FROM f)) RETURNING 1),
                          vp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = ANY(ARRAY(SELECT id FROM v)) RETURNING 1)
                          SELECT id, lower_version, created_unix,
                                 (SELECT count(*) FROM f), (SELECT count(*) FROM fp) + (SELECT count(*) FROM vp)
                          FROM v ORDER BY id
                          """
                        : $"""
                          SELECT v.id, v.lower_version, v.created_unix, 0::bigint, 0::bigint FROM package_version v
                          WHERE v.id = ANY($1) AND {IsContainerVersion}
                          ORDER BY v.id
                          FOR UPDATE OF v
                          """);
                command.Parameters.Add(BigintArray([.. versionIds]));
                batch.BatchCommands.Add(command);
                var present = new List<LockedVersion>();
                var deleted = default(DeletionCounts);
                await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        present.Add(new LockedVersion(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
                        deleted = new DeletionCounts(delete ? present.Count : 0, reader.GetInt64(3), reader.GetInt64(4));
                    }
                }

                return new Batch(lane, transaction, present, deleted, ReturnLane);
            }
            catch
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync();
                }

                ReturnLane(lane);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var lane in openedLanes)
            {
                await lane.DisposeAsync();
            }

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

    private sealed class Batch(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LockedVersion> present, DeletionCounts deleted, Action<NpgsqlConnection> release)
        : IDanglingImageBatch
    {
        public IReadOnlyList<LockedVersion> Present => present;

        public DeletionCounts Deleted => deleted;

        public Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> FindPossibleReferrersAsync(
            IReadOnlyCollection<(long PackageId, string Digest)> targets, IReadOnlyDictionary<long, uint> known, CancellationToken cancellationToken)
            => LockConflicts.Translated(() => FindPossibleReferrersCoreAsync(targets, known, cancellationToken));

        private async Task<IReadOnlyList<(ContainerVersionRecord Version, IReadOnlyList<string> ReferenceProperties)>> FindPossibleReferrersCoreAsync(
            IReadOnlyCollection<(long PackageId, string Digest)> targets, IReadOnlyDictionary<long, uint> known, CancellationToken cancellationToken)
        {
            if (targets.Count == 0)
            {
                return [];
            }

            // Statements of their own, after the lock: in READ COMMITTED each sees every referrer that
            // committed before the lock was granted (rule 8). A version that is new, or whose row changed
            // (its xmin with it), is read whole; a known one only for its reference properties, which can
            // be added without touching the version's row. Simple statements over explicit id lists, so
            // that every one is an index look-up whatever the planner's estimates; the first two go to the
            // server together.
            var current = new List<(long Id, long PackageId, uint Revision)>();
            var properties = new List<ReferenceProperty>();
            await using (var batch = new NpgsqlBatch(connection, transaction))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT id, package_id, xmin FROM package_version WHERE package_id = ANY($1)")
                {
                    Parameters = { BigintArray(targets.Select(t => t.PackageId).Distinct().ToArray()) },
                });
                // Only the properties that name a target: the others cannot keep one, and a batch's packages have thousands.
                batch.BatchCommands.Add(new NpgsqlBatchCommand(ReferencePropertiesNamingSql)
                {
                    Parameters = { BigintArray([.. known.Keys]), PackagesSql.Parameter(targets.Select(t => t.Digest).Distinct().ToArray()) },
                });
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    current.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<uint>(2)));
                }

                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    properties.Add(new ReferenceProperty(reader.GetInt64(0), reader.GetString(1)));
                }
            }

            var changed = current
                .Where(v => !known.TryGetValue(v.Id, out var revision) || revision != v.Revision)
                .Select(v => v.Id)
                .ToHashSet();
            var result = new List<(ContainerVersionRecord, IReadOnlyList<string>)>();
            if (changed.Count > 0)
            {
                await using var command = new NpgsqlCommand(
                    $"""
                    SELECT v.id, v.package_id, p.name, v.lower_version, v.created_unix, v.metadata_json, v.xmin,
                           ARRAY(SELECT pp.value FROM package_property pp
                                 WHERE pp.ref_id = v.id AND pp.ref_type = {PropertyRefType.Version:D} AND pp.name = '{ContainerLayout.ReferenceProperty}')
                    FROM package_version v JOIN package p ON p.id = v.package_id
                    WHERE v.id = ANY($1)
                    """,
                    connection,
                    transaction);
                command.Parameters.Add(BigintArray([.. changed]));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    result.Add((ReadVersion(reader), reader.GetFieldValue<string[]>(7)));
                }
            }

            // Known versions with reference properties: their metadata was read by the inventory already.
            var present = current.Where(v => !changed.Contains(v.Id)).ToDictionary(v => v.Id);
            foreach (var group in properties.GroupBy(p => p.VersionId))
            {
                if (present.TryGetValue(group.Key, out var version))
                {
                    result.Add((new ContainerVersionRecord(version.Id, version.PackageId, string.Empty, string.Empty, 0, null, version.Revision),
                        group.Select(p => p.Digest).ToList()));
                }
            }

            return result;
        }

        public Task<IReadOnlyList<SubjectHolder>> FindSubjectHoldersAsync(
            IReadOnlyCollection<(long PackageId, string Digest)> subjects, CancellationToken cancellationToken)
            => LockConflicts.Translated(async () => subjects.Count == 0
                ? []
                : (IReadOnlyList<SubjectHolder>)await PackagesSql.ListAsync(connection, transaction, SubjectHoldersSql,
                    r => new SubjectHolder(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3)),
                    cancellationToken,
                    subjects.Select(s => s.PackageId).Distinct().ToArray(),
                    subjects.Select(s => s.Digest).Distinct().ToArray()));

        public Task<DeletionCounts> CountAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
            => LockConflicts.Translated(() => CountCoreAsync(versionIds, cancellationToken));

        private async Task<DeletionCounts> CountCoreAsync(IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        {
            if (versionIds.Count == 0)
            {
                return default;
            }

            return await CountsAsync(
                $"""
                SELECT (SELECT count(*) FROM package_version WHERE id = ANY($1)),
                       (SELECT count(*) FROM package_file WHERE version_id = ANY($1)),
                       (SELECT count(*) FROM package_property WHERE ref_type = {PropertyRefType.File:D}
                            AND ref_id IN (SELECT id FROM package_file WHERE version_id = ANY($1)))
                     + (SELECT count(*) FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = ANY($1))
                """,
                versionIds,
                cancellationToken);
        }

        public Task CommitAsync(CancellationToken cancellationToken)
            => LockConflicts.Translated(async () =>
            {
                await transaction.CommitAsync(cancellationToken);
                return true;
            });

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            release(connection);
        }

        private async Task<DeletionCounts> CountsAsync(string sql, IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            command.Parameters.Add(BigintArray([.. versionIds]));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new DeletionCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    /// <summary>
    /// That the version <c>v</c> is of a container package, asked per row through the package's primary key: a join lets
    /// the planner hash every package of the registry for each batch (20,000 at a million versions), a cost that
    /// grows with the registry instead of the batch.
    /// </summary>
    private static readonly string IsContainerVersion = $"(SELECT p.type FROM package p WHERE p.id = v.package_id) = '{ContainerLayout.PackageType}'";

    /// <summary>The <c>container.manifest.reference</c> properties of the versions $1 (index-only, by its partial index).</summary>
    private static readonly string ReferencePropertiesSql =
        $"SELECT ref_id, value FROM package_property WHERE ref_id = ANY($1) AND ref_type = {PropertyRefType.Version:D} AND name = '{ContainerLayout.ReferenceProperty}'";

    /// <summary>
    /// The <c>container.manifest.reference</c> properties of the versions $1 that may name one of the digests $2 (lower case):
    /// every value whose 71 characters from its first "sha256:" (in lower case) are one of them. That is a superset of
    /// those the cleanup's reading (trimmed, in lower case) pairs with $2, so white space around a value never hides it,
    /// and costs a tenth of a regular expression's match (27 against 3 ms for a batch's 1,500 properties).
    /// </summary>
    private static readonly string ReferencePropertiesNamingSql =
        ReferencePropertiesSql + " AND substr(lower(value), strpos(lower(value), 'sha256:'), 71) = ANY($2)";

    /// <summary>
    /// The <c>container.manifest.subject</c> properties of the versions $1. Few rows have this name: where there are
    /// none, PostgreSQL reads the (empty) partial index on their values instead of each version's properties.
    /// </summary>
    private static readonly string SubjectPropertiesSql =
        $"SELECT ref_id, value FROM package_property WHERE ref_id = ANY($1) AND ref_type = {PropertyRefType.Version:D} AND name = '{ContainerLayout.SubjectProperty}'";

    /// <summary>
    /// Of the versions $2, those whose manifest.json has one of the digests $1 (lower case): the version and the digest.
    /// Looked up from the versions to their lead files, so the cost follows the tags of the packages asked about.
    /// </summary>
    private static readonly string TagManifestsSql = $"""
        SELECT f.version_id, d.value FROM package_file f
        JOIN package_property d ON d.ref_type = {PropertyRefType.File:D} AND d.ref_id = f.id AND d.name = '{ContainerLayout.DigestProperty}'
        WHERE f.version_id = ANY($2) AND f.is_lead AND lower(d.value) = ANY($1)
        """;

    /// <summary>
    /// The versions of the packages $1 (not internal) whose manifest has one of the digests $2 (lower case): by their
    /// name, or by the digest of their manifest.json (through the index on lower(value) of container.digest).
    /// </summary>
    private static readonly string SubjectHoldersSql = $"""
        SELECT v.id, v.package_id, lower(v.lower_version), v.created_unix FROM package_version v
        WHERE v.package_id = ANY($1) AND lower(v.lower_version) = ANY($2) AND NOT v.is_internal
        UNION ALL
        SELECT v.id, v.package_id, lower(d.value), v.created_unix FROM package_property d
        JOIN package_file f ON f.id = d.ref_id AND f.is_lead
        JOIN package_version v ON v.id = f.version_id
        WHERE d.ref_type = {PropertyRefType.File:D} AND d.name = '{ContainerLayout.DigestProperty}' AND lower(d.value) = ANY($2)
        AND v.package_id = ANY($1) AND NOT v.is_internal
        """;

    private static ContainerVersionRecord ReadVersion(NpgsqlDataReader reader)
        => new(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.GetFieldValue<uint>(6));

    private static NpgsqlParameter BigintArray(long[] values) => PackagesSql.Parameter(values);

    /// <summary>A batch's statements that the database ends for a lock conflict become the cleanup's own exception, which it retries.</summary>
    private static class LockConflicts
    {
        public static async Task<T> Translated<T>(Func<Task<T>> statement)
        {
            try
            {
                return await statement();
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                throw new DanglingImageBatchConflictException(e.SqlState, e);
            }
        }
    }
}
