using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Data;
using Npgsql;

namespace Forge.Host.Tests.Support;

/// <summary>A run of <c>cleanup_container_sha256</c> caught while it works: its record, its node and its database session.</summary>
public sealed record BlockedRun(long RunId, string Node, int BackendPid);

/// <summary>
/// Holds the next run of <c>cleanup_container_sha256</c> in progress, deterministically: a dangling digest
/// version old enough to go, locked <c>FOR KEY SHARE</c> by this test (as a push naming it would), so that
/// the run's batch (a DELETE) waits until <see cref="ReleaseAsync"/>. Hold it a few seconds at most: the
/// run's commands time out after 30.
/// </summary>
public sealed class CleanupRunHold : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;
    private readonly string connectionString;

    private CleanupRunHold(NpgsqlConnection connection, NpgsqlTransaction transaction, string connectionString, long versionId)
    {
        this.connection = connection;
        this.transaction = transaction;
        this.connectionString = connectionString;
        VersionId = versionId;
    }

    /// <summary>
    /// Holds the next run, waits until it is blocked, does <paramref name="meanwhile"/> to it, then lets the
    /// run go on; returns the run caught and what <paramref name="meanwhile"/> returned.
    /// </summary>
    public static async Task<(BlockedRun Run, T Result)> WhileARunWaitsAsync<T>(string connectionString, Func<BlockedRun, Task<T>> meanwhile)
    {
        await using var hold = await StartAsync(connectionString);
        var run = await hold.WaitForBlockedRunAsync();
        return (run, await meanwhile(run));
    }

    /// <summary>The doomed version the run waits for.</summary>
    public long VersionId { get; }

    public static async Task<CleanupRunHold> StartAsync(string connectionString)
    {
        // Pooling off: the hold's session must end with it, even when a test restarts the server under it.
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "forge-test-hold" };
        var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync();
        try
        {
            var name = $"hold-{Guid.NewGuid():N}";
            await using var insert = new NpgsqlCommand(
                """
                WITH p AS (INSERT INTO package (owner_id, type, name, lower_name) VALUES (1, 'container', $1, $1) RETURNING id)
                INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
                SELECT id, $2, $2, extract(epoch FROM now())::bigint - 3 * 86400, '{}' FROM p
                RETURNING id
                """,
                connection);
            insert.Parameters.AddWithValue(name);
            insert.Parameters.AddWithValue($"sha256:{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}");
            var versionId = (long)(await insert.ExecuteScalarAsync())!;
            var transaction = await connection.BeginTransactionAsync();
            await using var hold = new NpgsqlCommand("SELECT id FROM package_version WHERE id = $1 FOR KEY SHARE", connection, transaction);
            hold.Parameters.AddWithValue(versionId);
            await hold.ExecuteScalarAsync();
            return new CleanupRunHold(connection, transaction, connectionString, versionId);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until a run waits for this hold: the session this hold blocks must be the one holding the run's
    /// advisory lock, and the task's record must be in progress.
    /// </summary>
    public async Task<BlockedRun> WaitForBlockedRunAsync(TimeSpan? deadline = null)
    {
        var found = await Poll.UntilAsync<BlockedRun?>(FindAsync, run => run is not null, deadline);
        return found ?? throw new InvalidOperationException("No cleanup run came to wait for the held version.");
    }

    private async Task<BlockedRun?> FindAsync()
    {
        await using var observer = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await observer.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT a.pid,
                   (SELECT r.id FROM forge_cron_run r WHERE r.task = $3 AND r.outcome IS NULL ORDER BY r.id DESC LIMIT 1),
                   (SELECT r.node FROM forge_cron_run r WHERE r.task = $3 AND r.outcome IS NULL ORDER BY r.id DESC LIMIT 1)
            FROM pg_stat_activity a
            JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
                AND ((l.classid::bigint << 32) | l.objid::bigint) = $2
            WHERE $1 = ANY (pg_blocking_pids(a.pid))
            """,
            observer);
        command.Parameters.AddWithValue(connection.ProcessID);
        command.Parameters.AddWithValue(NpgsqlDanglingImageStore.RunLockKey);
        command.Parameters.AddWithValue(DanglingImageCleanupTask.Name);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.IsDBNull(1))
        {
            return null;
        }

        return new BlockedRun(reader.GetInt64(1), reader.GetString(2), reader.GetInt32(0));
    }

    /// <summary>Lets the run go on: the lock is given up, the version stays for the run to delete.</summary>
    public async Task ReleaseAsync()
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            try
            {
                await transaction.RollbackAsync();
            }
            catch (NpgsqlException)
            {
                // The server ended the session (a restart): the lock went with it.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        await connection.DisposeAsync();
    }
}
