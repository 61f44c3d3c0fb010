using Npgsql;

namespace Forge.Bench;

/// <summary>
/// Polls <c>pg_stat_activity</c> every ~20 ms for the backends connected to one database and keeps, per
/// backend, the longest <c>now() - xact_start</c> seen: of any transaction, and of transactions that hold
/// a transaction id (<c>backend_xid IS NOT NULL</c>: they wrote or locked rows, which is what blocks a
/// concurrent push).
/// </summary>
public sealed class TransactionSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private double longest;
    private double longestLocking;

    private TransactionSampler(string adminConnectionString, string database)
    {
        loop = Task.Run(() => PollAsync(adminConnectionString, database));
    }

    /// <summary>The longest transaction of any kind seen so far, in seconds.</summary>
    public double LongestSeconds => Volatile.Read(ref longest);

    /// <summary>The longest transaction that held a transaction id, in seconds.</summary>
    public double LongestLockingSeconds => Volatile.Read(ref longestLocking);

    public static TransactionSampler Start(string adminConnectionString, string database) => new(adminConnectionString, database);

    /// <summary>Stops polling after one last sample.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
    }

    private async Task PollAsync(string adminConnectionString, string database)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var sample = new NpgsqlCommand(
            """
            SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8,
                   coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)) FILTER (WHERE backend_xid IS NOT NULL), 0)::float8
            FROM pg_stat_activity
            WHERE datname = $1 AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
            """, connection);
        sample.Parameters.AddWithValue(database);
        await sample.PrepareAsync();
        while (true)
        {
            var stopping = stop.IsCancellationRequested;
            await using (var reader = await sample.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                Volatile.Write(ref longest, Math.Max(longest, reader.GetDouble(0)));
                Volatile.Write(ref longestLocking, Math.Max(longestLocking, reader.GetDouble(1)));
            }

            if (stopping)
            {
                return;
            }

            try
            {
                await Task.Delay(20, stop.Token);
            }
            catch (OperationCanceledException)
            {
                // One more sample, then stop.
            }
        }
    }
}
