using Forge.Packages.Content;
using Forge.Packages.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Packages.Fsck;

/// <summary>
/// Compares the content store with package_blob: stray files, missing files, corrupt files. With repair,
/// removes stray files older than the cutoff, each under its content lock after checking again that no
/// row names it; it never deletes a row.
/// </summary>
public sealed partial class ContentStoreCheck(
    NpgsqlDataSource dataSource, IServiceScopeFactory scopes, IContentStore store, TimeProvider time, ILogger<ContentStoreCheck> logger)
{
    public async Task<FsckReport> RunAsync(bool repair, TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - olderThan;
        var rows = new HashSet<string>(StringComparer.Ordinal);
        // A plain read of every row, without locks: the entity model serves it.
        await using (var scope = scopes.CreateAsyncScope())
        {
            var packages = scope.ServiceProvider.GetRequiredService<PackagesDbContext>();
            await foreach (var hash in packages.Blobs.AsNoTracking().Select(b => b.HashSha256).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                rows.Add(hash.Trim().ToLowerInvariant());
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stray = new List<StoredContent>();
        var corrupt = new List<string>();
        var unexpected = new List<string>();
        long files = 0;
        await foreach (var stored in store.EnumerateAsync(cancellationToken))
        {
            files++;
            var name = stored.Name;
            if (!ContentKeys.IsSha256Hex(name))
            {
                unexpected.Add(name);
                continue;
            }

            if (!rows.Contains(name))
            {
                stray.Add(stored);
                continue;
            }

            // Null: removed while the walk went on; the missing-file re-check decides.
            switch (await store.MatchesItsNameAsync(name, cancellationToken))
            {
                case false:
                    corrupt.Add(name);
                    seen.Add(name);
                    break;
                case true:
                    seen.Add(name);
                    break;
            }
        }

        var missing = await StillMissingAsync(rows.Where(r => !seen.Contains(r)).ToList(), cancellationToken);
        if (missing.Count > 0)
        {
            LogMissing(missing.Count, string.Join(", ", missing.Take(10)));
        }

        if (corrupt.Count > 0)
        {
            LogCorrupt(corrupt.Count, string.Join(", ", corrupt.Take(10)));
        }

        long removed = 0, bytes = 0;
        if (repair)
        {
            foreach (var old in stray.Where(s => s.LastModified < cutoff))
            {
                if (await RemoveStrayAsync(old.Name, cancellationToken) is { } size)
                {
                    removed++;
                    bytes += size;
                }
            }
        }

        return new FsckReport
        {
            Repair = repair,
            CutoffUnix = cutoff.ToUnixTimeSeconds(),
            BlobRows = rows.Count,
            ContentFiles = files,
            StrayFiles = stray.Select(s => s.Name).Order(StringComparer.Ordinal).ToList(),
            MissingFiles = missing,
            CorruptFiles = corrupt,
            UnexpectedFiles = unexpected,
            StrayFilesRemoved = removed,
            BytesFreed = bytes,
        };
    }

    /// <summary>
    /// The rows read before the walk whose file the walk did not see, looked at once more: a row deleted
    /// (and its file removed) by the expired-data cleanup during the walk is no loss.
    /// </summary>
    private async Task<List<string>> StillMissingAsync(List<string> candidates, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var hash in candidates.Order(StringComparer.Ordinal))
        {
            if (!ContentKeys.IsSha256Hex(hash))
            {
                // A row whose hash is not a digest names no file this store could hold: report it.
                missing.Add(hash);
                continue;
            }

            // Under the content lock, as a removal or a push holds it: row and file are looked at as one.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await BlobContentLock.AcquireAsync(connection, transaction, hash, cancellationToken);
            if (await BlobContentLock.RowExistsAsync(connection, transaction, hash, cancellationToken) && await store.SizeOfAsync(hash, cancellationToken) is null)
            {
                missing.Add(hash);
            }
        }

        return missing;
    }

    private async Task<long?> RemoveStrayAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await BlobContentLock.AcquireAsync(connection, transaction, hash, cancellationToken);
        if (await BlobContentLock.RowExistsAsync(connection, transaction, hash, cancellationToken))
        {
            return null;
        }

        try
        {
            return await store.DeleteAsync(hash, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogRemovalFailed(e, hash);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "DATA LOSS: {Count} blob row(s) have no content file in the store (first: {Hashes}); restore them from a backup")]
    private partial void LogMissing(int count, string hashes);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} content file(s) do not match their SHA-256 (first: {Hashes}); restore them from a backup")]
    private partial void LogCorrupt(int count, string hashes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove stray content file {Sha256}")]
    private partial void LogRemovalFailed(Exception e, string sha256);
}
