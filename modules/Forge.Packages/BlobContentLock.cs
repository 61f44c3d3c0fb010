using Npgsql;

namespace Forge.Packages;

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

    public static async Task AcquireAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sha256, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))", connection, transaction);
        command.Parameters.AddWithValue(Namespace);
        command.Parameters.AddWithValue(sha256);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
