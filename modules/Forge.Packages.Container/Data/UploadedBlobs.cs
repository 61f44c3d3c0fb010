using Forge.Packages.Container.Registry;
using Forge.Packages.Content;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// Blobs a repository has before any manifest uses them: finished uploads and cross-repository mounts become files
/// of the package's internal upload version, which the expired-data cleanup removes once they are old and unused.
/// </summary>
public sealed class UploadedBlobs(NpgsqlDataSource dataSource, IContentStore store, TimeProvider time)
{
    /// <summary>
    /// Stores a finished upload (its bytes at <paramref name="path"/>, already hashed) as a blob of the repository:
    /// the content in the store, its package_blob row, and a file of the upload version. The upload session
    /// <paramref name="uploadId"/> is deleted in the same transaction; one that was cancelled or expired meanwhile is
    /// UploadUnknown (its bytes are not to be trusted).
    /// </summary>
    public async Task AddAsync(long ownerId, string repository, string path, BlobHashes hashes, string uploadId, CancellationToken cancellationToken)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await UploadSessions.EndAsync(connection, uploadId, cancellationToken))
        {
            throw RegistryFailureException.UploadUnknown(uploadId);
        }

        var packageId = await ContainerRows.EnsurePackageAsync(connection, ownerId, repository, cancellationToken);
        var staged = new StagedContent(path, hashes.Sha256, hashes.Size);
        var blobId = await ContainerRows.EnsureBlobAsync(connection, transaction, store, staged, hashes, null, created, cancellationToken);
        await ContainerRows.AddToUploadVersionAsync(connection, packageId, blobId, hashes.Sha256, created, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Mounts a blob of <paramref name="fromPackageId"/> into <paramref name="repository"/> (same owner): the blob
    /// becomes a file of the target's upload version. False when the source has no such blob.
    /// </summary>
    public async Task<bool> MountAsync(long ownerId, string repository, long fromPackageId, string hex, CancellationToken cancellationToken)
    {
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ContainerRows.LockBlobOfPackageAsync(connection, fromPackageId, hex, cancellationToken) is not long blobId)
        {
            return false;
        }

        var packageId = await ContainerRows.EnsurePackageAsync(connection, ownerId, repository, cancellationToken);
        await ContainerRows.AddToUploadVersionAsync(connection, packageId, blobId, hex, created, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
