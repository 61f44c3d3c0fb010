using System.Collections.Concurrent;
using Forge.Packages.Container.Data;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// When versions were last pulled: a pull is recorded in memory (version id → latest pull time), never waiting on the
/// database, and <see cref="FlushAsync"/> writes every pending pull in one statement (<see cref="VersionPulls"/>).
/// <see cref="PullFlusher"/> flushes every <c>Forge:Registry:PullFlushInterval</c> and at shutdown, so a version is
/// written at most once per interval however often it is pulled. A flush that fails keeps its pulls for the next.
/// </summary>
public sealed partial class PullRecorder(VersionPulls store, RegistryTelemetry telemetry, TimeProvider clock, ILogger<PullRecorder> logger) : IDisposable
{
    private readonly ConcurrentDictionary<long, long> pending = new();
    private readonly SemaphoreSlim flushing = new(1, 1);

    /// <summary>The versions whose last pull is not written yet.</summary>
    public int Pending => pending.Count;

    /// <summary>Records one pull, now, of each of these versions (those a pulled reference named).</summary>
    public void Record(IReadOnlyList<long> versionIds) => Record(versionIds, clock.GetUtcNow().ToUnixTimeSeconds());

    /// <summary>Records one pull, at <paramref name="pulledUnix"/>, of each of these versions; a later pull already recorded stands.</summary>
    public void Record(IReadOnlyList<long> versionIds, long pulledUnix)
    {
        foreach (var id in versionIds)
        {
            Merge(id, pulledUnix);
        }

        telemetry.PullsRecorded.Add(1);
    }

    /// <summary>
    /// Writes every pending pull in one statement (one flush at a time). Returns the number of versions written;
    /// pulls of versions deleted meanwhile are dropped. A failed write is logged and counted, and its pulls stay
    /// pending (merged with those recorded since); then this returns 0.
    /// </summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        await flushing.WaitAsync(cancellationToken);
        try
        {
            var (ids, times) = Take();
            if (ids.Length == 0)
            {
                return 0;
            }

            try
            {
                var written = await store.WriteAsync(ids, times, cancellationToken);
                telemetry.PullsWritten.Add(written);
                return written;
            }
            catch (Exception e)
            {
                // Put back, merged with pulls recorded since, and not counted as pulls again.
                for (var i = 0; i < ids.Length; i++)
                {
                    Merge(ids[i], times[i]);
                }

                if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                telemetry.PullFlushFailures.Add(1);
                LogFlushFailed(e, ids.Length);
                return 0;
            }
        }
        finally
        {
            flushing.Release();
        }
    }

    // Each entry removed as it is read: a pull recorded meanwhile is either taken with it or left for the next flush.
    // In id order, the order in which the write locks the versions.
    private (long[] Ids, long[] Times) Take()
    {
        var ids = new List<long>();
        var times = new List<long>();
        foreach (var (id, _) in pending)
        {
            if (pending.TryRemove(id, out var pulledUnix))
            {
                ids.Add(id);
                times.Add(pulledUnix);
            }
        }

        var (idArray, timeArray) = (ids.ToArray(), times.ToArray());
        Array.Sort(idArray, timeArray);
        return (idArray, timeArray);
    }

    public void Dispose() => flushing.Dispose();

    // The latest pull of a version stands, whichever was recorded first.
    private void Merge(long id, long pulledUnix)
        => pending.AddOrUpdate(id, static (_, at) => at, static (_, recorded, at) => Math.Max(recorded, at), pulledUnix);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the last pulls of {Versions} version(s); they are kept for the next flush")]
    private partial void LogFlushFailed(Exception e, int versions);
}
