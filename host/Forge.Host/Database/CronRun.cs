namespace Forge.Host.Database;

/// <summary>One run of a cron task, as <c>cron list</c> shows it.</summary>
public sealed class CronRun
{
    public long Id { get; set; }
    public string Task { get; set; } = string.Empty;
    public string Node { get; set; } = string.Empty;
    public string Trigger { get; set; } = string.Empty;
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The fire time the scheduler planned for a scheduled run; null for start, chained and manual runs.</summary>
    public DateTimeOffset? ScheduledFor { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>success, failure or skipped; null while the run is in progress (or was cut short by a crash).</summary>
    public string? Outcome { get; set; }

    public string? Summary { get; set; }
}
