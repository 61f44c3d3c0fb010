using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>An upload session whose row is held until <see cref="CommitAsync"/> or disposal (which rolls back).</summary>
public sealed class LockedUploadSession(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, long received, TimeProvider time)
    : IAsyncDisposable
{
    /// <summary>The bytes the session had received when it was locked.</summary>
    public long Received { get; } = received;

    /// <summary>Records that the session now has <paramref name="bytesReceived"/> bytes, and commits.</summary>
    public async Task CommitAsync(long bytesReceived, CancellationToken cancellationToken)
    {
        await PackagesSql.ExecuteAsync(connection, transaction,
            "UPDATE package_blob_upload SET bytes_received = $2, updated_unix = $3 WHERE id = $1",
            cancellationToken, id, bytesReceived, time.GetUtcNow().ToUnixTimeSeconds());
        await transaction.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
