using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Content;

/// <summary>
/// A transaction-scoped advisory lock per content hash. Writers take it while they put content in place
/// and record its package_blob row; the expired-data cleanup takes it while it checks that no row names
/// the hash and removes the file. Either the row is there when the cleanup looks, or the file is put
/// back after the cleanup removed it.
/// </summary>
public static class BlobContentLock
{
    /// <summary>The first key of the two-key advisory lock (ASCII "FBlb"); the second is the hash's hashtext.</summary>
    public const int Namespace = 0x46426C62;

    /// <summary>The exclusive lock, for whoever removes content: waits for every writer of the hash to commit.</summary>
    public static Task AcquireAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sha256, CancellationToken cancellationToken)
        => LockAsync("pg_advisory_xact_lock", connection, transaction, sha256, cancellationToken);

    /// <summary>
    /// The shared lock, for writers: pushes of the same content do not wait for each other, only for a
    /// removal. Writers take their hashes in ordinal order, so two pushes never wait on each other in a cycle.
    /// </summary>
    public static Task AcquireSharedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sha256, CancellationToken cancellationToken)
        => LockAsync("pg_advisory_xact_lock_shared", connection, transaction, sha256, cancellationToken);

    /// <summary>
    /// Whether a package_blob row names the hash. hash_sha256 is CHAR(64): the parameter is cast so that
    /// the unique index answers; upper-case hex written by another tool counts too.
    /// </summary>
    public static async Task<bool> RowExistsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sha256, CancellationToken cancellationToken)
        => await PackagesSql.ScalarAsync<bool>(connection, transaction,
            "SELECT EXISTS (SELECT 1 FROM package_blob WHERE hash_sha256 IN ($1::bpchar, upper($1)::bpchar))", cancellationToken, sha256);

    private static async Task LockAsync(string function, NpgsqlConnection connection, NpgsqlTransaction transaction, string sha256, CancellationToken cancellationToken)
        => await PackagesSql.ExecuteAsync(connection, transaction, $"SELECT {function}($1, hashtext($2))", cancellationToken, Namespace, sha256.ToLowerInvariant());
}
