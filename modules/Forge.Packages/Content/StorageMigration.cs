using Forge.Packages.Schema;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Packages.Content;

/// <summary>
/// Copies every blob that package_blob names from one content store to another (<c>packages storage migrate</c>):
/// the folder to a bucket or back. Each blob is read from the source into a staged file, hashed on the way (content
/// that does not hash to its name is not copied), published to the destination and checked there by its size. A blob
/// the destination already has with the row's size is skipped, so a run that was interrupted is resumed by running
/// it again. The registry keeps serving from the configured store meanwhile.
/// </summary>
/// <remarks>
/// Each copy is published under the blob's shared content lock after its row was seen again, as a push publishes:
/// when the destination is the store in use, the expired-data cleanup, which removes content under the exclusive
/// lock once no row names it, never has a copy land after its removal.
/// </remarks>
public sealed partial class StorageMigration(NpgsqlDataSource dataSource, ContentStaging staging, ILogger<StorageMigration> logger)
{
    /// <summary>Blob rows read per page.</summary>
    private const int PageSize = 1000;

    public async Task<StorageMigrationReport> RunAsync(IContentStore source, IContentStore destination, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var after = 0L;
        while (true)
        {
            // The rows in id order, a page at a time (the primary key's index): memory follows the page, not the registry.
            var page = await PackagesSql.ListAsync(dataSource, $"""
                SELECT id, lower(trim(hash_sha256)), size FROM package_blob WHERE id > $1 ORDER BY id LIMIT {PageSize}
                """, r => (Id: r.GetInt64(0), Hash: r.GetString(1), Size: r.GetInt64(2)), cancellationToken, after);
            if (page.Count == 0)
            {
                break;
            }

            after = page[^1].Id;
            foreach (var (_, hash, size) in page)
            {
                tally.Blobs++;
                if (!ContentKeys.IsSha256Hex(hash))
                {
                    tally.NotAHash.Add(hash);
                    continue;
                }

                try
                {
                    await CopyAsync(source, destination, hash, size, tally, cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException)
                {
                    LogCopyFailed(e, hash);
                    tally.Failed.Add(hash);
                }
            }

            LogProgress(tally.Blobs, tally.Copied, tally.BytesCopied, tally.AlreadyThere);
        }

        return tally.Report(source.Description, destination.Description);
    }

    private async Task CopyAsync(IContentStore source, IContentStore destination, string hash, long size, Tally tally, CancellationToken cancellationToken)
    {
        if (await destination.SizeOfAsync(hash, cancellationToken) == size)
        {
            tally.AlreadyThere++;
            return;
        }

        StagedContent staged;
        await using (var content = await source.OpenReadAsync(hash, cancellationToken))
        {
            if (content is null)
            {
                if (await RowExistsAsync(hash, cancellationToken))
                {
                    LogMissing(hash);
                    tally.MissingInSource.Add(hash);
                }
                else
                {
                    tally.Gone++;
                }

                return;
            }

            staged = await staging.StageAsync(content, cancellationToken);
        }

        try
        {
            if (staged.Sha256 != hash)
            {
                LogCorrupt(hash, staged.Sha256);
                tally.CorruptInSource.Add(hash);
                return;
            }

            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await BlobContentLock.AcquireSharedAsync(connection, transaction, hash, cancellationToken);
            if (!await BlobContentLock.RowExistsAsync(connection, transaction, hash, cancellationToken))
            {
                tally.Gone++;
                return;
            }

            await destination.PublishAsync(staged, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            File.Delete(staged.TemporaryPath);
        }

        if (await destination.SizeOfAsync(hash, cancellationToken) != staged.Size)
        {
            throw new IOException($"sha256:{hash} was published to {destination.Description} but is not there with its {staged.Size} bytes.");
        }

        tally.Copied++;
        tally.BytesCopied += staged.Size;
    }

    private async Task<bool> RowExistsAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await BlobContentLock.RowExistsAsync(connection, null, hash, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "sha256:{Hash} could not be copied; a later run tries again")]
    private partial void LogCopyFailed(Exception exception, string hash);

    [LoggerMessage(Level = LogLevel.Error, Message = "DATA LOSS: sha256:{Hash} has a blob row but no content in the source store; restore it from a backup")]
    private partial void LogMissing(string hash);

    [LoggerMessage(Level = LogLevel.Error, Message = "sha256:{Hash} in the source store hashes to sha256:{Actual}: not copied; restore it from a backup")]
    private partial void LogCorrupt(string hash, string actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Blobs} blob(s) looked at: {Copied} copied ({Bytes} bytes), {AlreadyThere} already there")]
    private partial void LogProgress(long blobs, long copied, long bytes, long alreadyThere);

    private sealed class Tally
    {
        public long Blobs { get; set; }
        public long Copied { get; set; }
        public long BytesCopied { get; set; }
        public long AlreadyThere { get; set; }
        public long Gone { get; set; }
        public List<string> MissingInSource { get; } = [];
        public List<string> CorruptInSource { get; } = [];
        public List<string> NotAHash { get; } = [];
        public List<string> Failed { get; } = [];

        public StorageMigrationReport Report(string from, string to) => new()
        {
            From = from,
            To = to,
            Blobs = Blobs,
            Copied = Copied,
            BytesCopied = BytesCopied,
            AlreadyThere = AlreadyThere,
            Gone = Gone,
            MissingInSource = MissingInSource,
            CorruptInSource = CorruptInSource,
            NotAHash = NotAHash,
            Failed = Failed,
        };
    }
}
