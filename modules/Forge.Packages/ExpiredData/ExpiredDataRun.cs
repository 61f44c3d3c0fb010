using System.Diagnostics;
using Forge.Packages.Content;
using Forge.Packages.Schema;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Packages.ExpiredData;

/// <summary>
/// One run of the expired-data cleanup as its steps see it: the connection that holds the run lock, the
/// cutoff, whether it is a dry run, what the steps before this one remove (for a dry run's forecasts), and
/// the bytes freed so far.
/// </summary>
public sealed partial class ExpiredDataRun
{
    /// <summary>Rows per transaction in every step.</summary>
    public const int BatchSize = 1000;

    private readonly List<ExpiredDataForecast> earlier = [];
    private readonly ILogger logger;

    internal ExpiredDataRun(
        NpgsqlConnection connection, long cutoffUnix, bool dryRun, IContentStore store, ContentStaging staging, ExpiredDataCleanupTelemetry telemetry,
        ExpiredDataCleanupHooks? hooks, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        Connection = connection;
        CutoffUnix = cutoffUnix;
        DryRun = dryRun;
        Store = store;
        Staging = staging;
        Telemetry = telemetry;
        Hooks = hooks;
        Time = time;
        this.logger = logger;
        CancellationToken = cancellationToken;
    }

    /// <summary>The run's connection; it holds the run's advisory lock. A step opens its transactions on it.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>What is older than this (unix seconds, strictly) has expired.</summary>
    public long CutoffUnix { get; }

    public bool DryRun { get; }

    public IContentStore Store { get; }

    /// <summary>This node's staging folder: staged content and partial uploads.</summary>
    public ContentStaging Staging { get; }

    public ExpiredDataCleanupTelemetry Telemetry { get; }

    public TimeProvider Time { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>The running step's span (null when nothing listens): a step tags it with what it did.</summary>
    public Activity? StepActivity { get; internal set; }

    /// <summary>Bytes of files removed (in a dry run: that would be).</summary>
    public long BytesFreed { get; private set; }

    internal ExpiredDataCleanupHooks? Hooks { get; }

    /// <summary>
    /// A condition over <c>package_file f</c> ($1 the cutoff): the file outlives the steps before this one. In a
    /// real run they have already run, and this is plain true.
    /// </summary>
    public string FileStays
        => DryRun && earlier.Where(f => f.RemovedFiles is not null).Select(f => $"({f.RemovedFiles})").ToList() is { Count: > 0 } removed
            ? $"NOT ({string.Join(" OR ", removed)})"
            : "true";

    /// <summary>
    /// A condition over <c>package_version v</c> ($1 the cutoff): the version outlives the steps before this one
    /// (in a dry run, it is not one that they empty and remove).
    /// </summary>
    public string VersionStays
        => DryRun && earlier.Where(f => f.EmptiedVersions is not null).Select(f => $"({f.EmptiedVersions})").ToList() is { Count: > 0 } emptied
            ? $"NOT (({string.Join(" OR ", emptied)}) AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id AND {FileStays}))"
            : "true";

    /// <summary>Adds the bytes of a removed file to what the run freed (and, in a real run, to the metric).</summary>
    public void Freed(long bytes)
    {
        BytesFreed += bytes;
        if (!DryRun)
        {
            Telemetry.BytesFreed.Add(bytes);
        }
    }

    /// <summary>
    /// Removes a file that is not content (partial or staged bytes); in a dry run, counts it. Returns whether
    /// it was there to remove; a failure is logged and the file left for the next run.
    /// </summary>
    public bool RemoveFile(FileInfo file)
    {
        try
        {
            var size = file.Length;
            if (!DryRun)
            {
                file.Delete();
            }

            Freed(size);
            return true;
        }
        catch (FileNotFoundException)
        {
            // Gone since the folder was listed (a push put its staged file in place): nothing to free.
            // A file that vanished also reads as written in 1601, which is how it got here.
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogFileRemovalFailed(e, file.Name);
            return false;
        }
    }

    /// <summary>
    /// Pages through the rows <paramref name="select"/> finds (<c>$1</c> the cutoff, <c>$2</c> the last id seen),
    /// each page in its own transaction. A dry run counts them and their properties of
    /// <paramref name="propertiesOf"/>; a real run locks them with <paramref name="lockClause"/> and runs
    /// <paramref name="delete"/> (<c>$1</c> the ids), which re-checks in a statement of its own and returns
    /// one row: (rows, properties) deleted.
    /// </summary>
    public async Task<(long Rows, long Properties)> DeleteInBatchesAsync(
        Func<string, string> select, string lockClause, PropertyRefType propertiesOf, string delete)
    {
        long rows = 0, properties = 0, last = 0;
        while (true)
        {
            await using var transaction = await Connection.BeginTransactionAsync(CancellationToken);
            var ids = await PackagesSql.ListAsync(
                Connection, transaction, select(DryRun ? string.Empty : lockClause), r => r.GetInt64(0), CancellationToken, CutoffUnix, last);
            if (ids.Count == 0)
            {
                return (rows, properties);
            }

            last = ids[^1];
            if (DryRun)
            {
                rows += ids.Count;
                properties += await PackagesSql.ScalarAsync<long>(Connection, transaction,
                    "SELECT count(*) FROM package_property WHERE ref_type = $2 AND ref_id = ANY($1)", CancellationToken, ids.ToArray(), (long)propertiesOf);
                continue;
            }

            var counts = await PackagesSql.ListAsync(Connection, transaction, delete, r => (r.GetInt64(0), r.GetInt64(1)), CancellationToken, ids.ToArray());
            await transaction.CommitAsync(CancellationToken);
            rows += counts[0].Item1;
            properties += counts[0].Item2;
        }
    }

    /// <summary>The step that just ran: its removals count as done for the dry runs of the steps after it.</summary>
    internal void Ran(IExpiredDataStep step) => earlier.Add(step.Forecast);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the expired file {Name}; the next run tries again")]
    private partial void LogFileRemovalFailed(Exception e, string name);
}
