using Forge.Testing;
using Npgsql;

namespace Forge.Host.Tests.Support;

/// <summary>A row of <c>forge_cron_run</c>, as a test reads it back.</summary>
public sealed record RecordedRun(
    long Id, string Node, string Trigger, DateTimeOffset StartedAt, DateTimeOffset? ScheduledFor, string? Outcome, string? Summary)
{
    /// <summary>E.g. <c>schedule success</c>: what started the run and how it ended.</summary>
    public string TriggerAndOutcome => $"{Trigger} {Outcome}";
}

public static class RecordedRuns
{
    /// <summary>The runs recorded for <paramref name="task"/>, oldest first.</summary>
    public static Task<IReadOnlyList<RecordedRun>> OfAsync(TestDatabase database, string task) => OfAsync(database.ConnectionString, task);

    /// <summary>The runs recorded for <paramref name="task"/> in the database <paramref name="connectionString"/> names, oldest first.</summary>
    public static async Task<IReadOnlyList<RecordedRun>> OfAsync(string connectionString, string task)
    {
        // Unpooled: a test that restarts the server must not read through a connection the restart ended.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, node, trigger, started_at, scheduled_for, outcome, summary FROM forge_cron_run WHERE task = $1 ORDER BY id", connection);
        command.Parameters.AddWithValue(task);
        await using var reader = await command.ExecuteReaderAsync();
        var runs = new List<RecordedRun>();
        while (await reader.ReadAsync())
        {
            runs.Add(new RecordedRun(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return runs;
    }

    /// <summary>Waits until at least <paramref name="count"/> runs of the task have finished with <paramref name="outcome"/>.</summary>
    public static async Task<IReadOnlyList<RecordedRun>> WaitForAsync(TestDatabase database, string task, string outcome, int count)
        => await Poll.UntilAsync(() => OfAsync(database, task), runs => runs.Count(r => r.Outcome == outcome) >= count);

    /// <summary>Scheduled fire times recorded more than once: each must have one run across every node.</summary>
    public static IReadOnlyList<string> RepeatedFires(IEnumerable<RecordedRun> runs)
        => [.. runs.Where(r => r.ScheduledFor is not null)
            .GroupBy(r => r.ScheduledFor!.Value)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key:HH:mm:ss} on {string.Join(", ", g.Select(r => r.Node))}")];

    /// <summary>The whole seconds from <paramref name="from"/> to <paramref name="to"/> that have no scheduled run (for a task fired every second).</summary>
    public static IReadOnlyList<DateTimeOffset> MissedSeconds(IEnumerable<RecordedRun> runs, DateTimeOffset from, DateTimeOffset to)
    {
        var fired = runs.Where(r => r.ScheduledFor is not null).Select(r => r.ScheduledFor!.Value).ToHashSet();
        var missed = new List<DateTimeOffset>();
        for (var second = from; second <= to; second = second.AddSeconds(1))
        {
            if (!fired.Contains(second))
            {
                missed.Add(second);
            }
        }

        return missed;
    }
}
