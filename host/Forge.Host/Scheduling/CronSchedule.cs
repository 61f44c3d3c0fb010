using Forge.Modularity;
using Quartz;

namespace Forge.Host.Scheduling;

/// <summary>
/// A task's schedule: a Quartz cron expression (seconds first, e.g. <c>0 30 2 * * ?</c>), a descriptor
/// (<c>@yearly @annually @monthly @weekly @daily @midnight @hourly</c>) or <c>@every &lt;duration&gt;</c>.
/// </summary>
public sealed class CronSchedule
{
    private static readonly Dictionary<string, string> Descriptors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@yearly"] = "0 0 0 1 1 ?",
        ["@annually"] = "0 0 0 1 1 ?",
        ["@monthly"] = "0 0 0 1 * ?",
        ["@weekly"] = "0 0 0 ? * SUN",
        ["@daily"] = "0 0 0 * * ?",
        ["@midnight"] = "0 0 0 * * ?",
        ["@hourly"] = "0 0 * * * ?",
    };

    private static readonly TimeSpan MaxInterval = TimeSpan.FromDays(3650);

    private CronSchedule(string text, string? cronExpression, TimeSpan? interval)
    {
        Text = text;
        CronExpression = cronExpression;
        Interval = interval;
    }

    /// <summary>The schedule as configured.</summary>
    public string Text { get; }

    /// <summary>The Quartz cron expression, or null for <c>@every</c>.</summary>
    public string? CronExpression { get; }

    /// <summary>The interval of an <c>@every</c> schedule.</summary>
    public TimeSpan? Interval { get; }

    public static CronSchedule Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new FormatException("the schedule is empty (use a Quartz cron expression such as '0 0 3 * * ?', @midnight or @every 1h)");
        }

        if (trimmed.StartsWith("@every", StringComparison.OrdinalIgnoreCase))
        {
            var durationText = trimmed["@every".Length..].Trim();
            if (!GoDuration.TryParse(durationText, out var interval, out var error))
            {
                throw new FormatException($"'@every {durationText}' has no valid duration: {error}");
            }

            if (interval < TimeSpan.FromSeconds(1) || interval > MaxInterval)
            {
                throw new FormatException("an @every interval must be between 1s and 87600h (ten years)");
            }

            return new CronSchedule(trimmed, null, interval);
        }

        if (trimmed.StartsWith('@'))
        {
            return Descriptors.TryGetValue(trimmed, out var expression)
                ? new CronSchedule(trimmed, expression, null)
                : throw new FormatException($"unknown descriptor '{trimmed}' (one of {string.Join(", ", Descriptors.Keys)}, or @every <duration>)");
        }

        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 5)
        {
            throw new FormatException(
                $"'{trimmed}' has 5 fields; Quartz cron starts with seconds and marks one of day-of-month and day-of-week with '?', e.g. '0 {string.Join(' ', fields[..4])} ?'");
        }

        Quartz.CronExpression parsed;
        try
        {
            parsed = Quartz.CronExpression.Parse(trimmed);
        }
        catch (FormatException e)
        {
            throw new FormatException($"'{trimmed}' is not a Quartz cron expression: {e.Message}", e);
        }

        // Quartz refuses to schedule a trigger that never fires: say so here, naming the key, not at start-up.
        if (parsed.GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null)
        {
            throw new FormatException($"'{trimmed}' never fires (a date that does not exist, such as February 30, or a year that is past)");
        }

        return new CronSchedule(trimmed, trimmed, null);
    }

    /// <summary>The next time the schedule fires after <paramref name="after"/>, in the server's time zone.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        if (Interval is { } interval)
        {
            return after + interval;
        }

        return Quartz.CronExpression.Parse(CronExpression!).GetNextValidTimeAfter(after);
    }

    /// <summary>A Quartz trigger that fires on this schedule.</summary>
    /// <summary>The key under which a schedule trigger keeps the schedule it was built from.</summary>
    public const string ScheduleDataKey = "forge.schedule";

    public ITrigger BuildTrigger(JobKey job, TriggerKey key)
    {
        var builder = TriggerBuilder.Create().ForJob(job).WithIdentity(key).UsingJobData(ScheduleDataKey, Text);
        return Interval is { } interval
            ? builder.StartAt(DateTimeOffset.UtcNow + interval)
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
                .Build()
            : builder.WithCronSchedule(CronExpression!, c => c.WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing)).Build();
    }

    /// <summary>Whether <paramref name="trigger"/> was built from this schedule (the same text).</summary>
    public bool Built(ITrigger trigger)
        => trigger.JobDataMap.TryGetValue(ScheduleDataKey, out var text) && text is string s && s == Text;

    public override string ToString() => Text;
}
