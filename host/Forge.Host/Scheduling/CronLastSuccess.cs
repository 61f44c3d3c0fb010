using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Forge.Host.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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

/// <summary>
/// Reads the last success of every task from <c>forge_cron_run</c> when the host starts and then every
/// <see cref="Interval"/> (successes of other nodes). A database that does not answer is logged and tried
/// again at the next round: it never stops the host.
/// </summary>
public sealed partial class CronLastSuccessRefresh(CronRunLog runLog, CronLastSuccess lastSuccess, ILogger<CronLastSuccessRefresh> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (task, finishedAt) in await runLog.LastSuccessesAsync(stoppingToken))
                {
                    lastSuccess.Record(task, finishedAt);
                }

                failing = false;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Once per outage, not once a minute.
                if (!failing)
                {
                    LogReadFailed(Interval.TotalSeconds, ExceptionMessage.OneLine(e));
                }

                failing = true;
            }

            try
            {
                await Task.Delay(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the last successful cron runs (forge.cron.last_success), trying again every {Seconds}s: {Error}")]
    private partial void LogReadFailed(double seconds, string error);
}
