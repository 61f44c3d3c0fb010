using Forge.Packages.Container.Registry;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// The rows of blob upload sessions (package_blob_upload). A session belongs to the repository that started it:
/// another repository's requests see it as unknown, as if it did not exist, since its bytes are not theirs to
/// read, extend, finish or cancel. A session without a repository (written by another tool) is not bound.
/// </summary>
public sealed class UploadSessions(NpgsqlDataSource dataSource, TimeProvider time)
{
    private const string OfRepository = "(repository IS NULL OR repository = $2)";

    public async Task StartAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
        => await PackagesSql.ExecuteAsync(dataSource,
            "INSERT INTO package_blob_upload (id, bytes_received, created_unix, updated_unix, repository) VALUES ($1, 0, $2, $2, $3)",
            cancellationToken, id, time.GetUtcNow().ToUnixTimeSeconds(), Bound(repository));

    /// <summary>The bytes a session has received; null when the repository has no such session.</summary>
    public async Task<long?> ReceivedAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
        => await PackagesSql.ScalarAsync<long?>(dataSource,
            $"SELECT bytes_received FROM package_blob_upload WHERE id = $1 AND {OfRepository}", cancellationToken, id, Bound(repository));

    /// <summary>Deletes a session of the repository; false when it has no such session.</summary>
    public async Task<bool> DeleteAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
        => await PackagesSql.ExecuteAsync(dataSource,
            $"DELETE FROM package_blob_upload WHERE id = $1 AND {OfRepository}", cancellationToken, id, Bound(repository)) > 0;

    /// <summary>
    /// Opens a transaction that holds the session's row (FOR UPDATE) while a chunk streams in: chunks of one session
    /// never interleave, on this node or another. Null when the repository has no such session.
    /// </summary>
    public async Task<LockedUploadSession?> LockAsync(RepositoryName repository, string id, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await PackagesSql.ScalarAsync<long?>(connection, transaction,
                $"SELECT bytes_received FROM package_blob_upload WHERE id = $1 AND {OfRepository} FOR UPDATE", cancellationToken, id, Bound(repository))
                is not long received)
            {
                await transaction.DisposeAsync();
                await connection.DisposeAsync();
                return null;
            }

            return new LockedUploadSession(connection, transaction, id, received, time);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Deletes a session being finished, in the caller's transaction; false when it was cancelled or expired meanwhile.</summary>
    internal static async Task<bool> EndAsync(NpgsqlConnection connection, string id, CancellationToken cancellationToken)
        => await PackagesSql.ScalarAsync<long?>(connection, null,
            "DELETE FROM package_blob_upload WHERE id = $1 RETURNING bytes_received", cancellationToken, id) is not null;

    private static string Bound(RepositoryName repository) => repository.Full.ToLowerInvariant();
}
