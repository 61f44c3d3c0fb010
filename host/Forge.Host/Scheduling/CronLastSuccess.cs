using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Forge.Host.Scheduling;

/// <summary>
/// When each task last succeeded, for the <c>forge.cron.last_success</c> gauge: fed by <see cref="CronRunner"/>
/// on each success and by <see cref="CronLastSuccessRefresh"/> from <c>forge_cron_run</c>, so that a restart
/// loses nothing and every node of a cluster knows the successes of the others. Only enabled tasks that
/// ever succeeded are measured: a disabled task is not expected to succeed.
/// </summary>
public sealed class CronLastSuccess(CronTaskCatalog catalog)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> times = new(StringComparer.OrdinalIgnoreCase);

    public void Record(string task, DateTimeOffset finishedAt)
        => times.AddOrUpdate(task, finishedAt, (_, known) => known >= finishedAt ? known : finishedAt);

    public DateTimeOffset? Of(string task) => times.TryGetValue(task, out var time) ? time : null;

    /// <summary>Unix seconds per enabled task that has a known success.</summary>
    public IEnumerable<Measurement<double>> Measure()
    {
        foreach (var task in catalog.Tasks.Where(t => t.Enabled))
        {
            if (times.TryGetValue(task.Name, out var time))
            {
                yield return new Measurement<double>(time.ToUnixTimeMilliseconds() / 1000.0, new KeyValuePair<string, object?>("task", task.Name));
            }
        }
    }
}
