using Forge.Testing;
using Npgsql;

namespace Forge.Host.Tests.Support;

/// <summary>A row of <c>forge_cron_run</c>, as a test reads it back.</summary>
public sealed record RecordedRun(string Trigger, string? Outcome, string? Summary)
{
    /// <summary>E.g. <c>schedule success</c>: what started the run and how it ended.</summary>
    public string TriggerAndOutcome => $"{Trigger} {Outcome}";
}

public static class RecordedRuns
{
    /// <summary>The runs recorded for <paramref name="task"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<RecordedRun>> OfAsync(TestDatabase database, string task)
    {
        await using var connection = database.Connect();
        await using var command = new NpgsqlCommand("SELECT trigger, outcome, summary FROM forge_cron_run WHERE task = $1 ORDER BY id", connection);
        command.Parameters.AddWithValue(task);
        await using var reader = await command.ExecuteReaderAsync();
        var runs = new List<RecordedRun>();
        while (await reader.ReadAsync())
        {
            runs.Add(new RecordedRun(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return runs;
    }

    /// <summary>Waits until at least <paramref name="count"/> runs of the task have finished with <paramref name="outcome"/>.</summary>
    public static async Task<IReadOnlyList<RecordedRun>> WaitForAsync(TestDatabase database, string task, string outcome, int count)
        => await Poll.UntilAsync(() => OfAsync(database, task), runs => runs.Count(r => r.Outcome == outcome) >= count);
}
