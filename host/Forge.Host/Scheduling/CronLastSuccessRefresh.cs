using Forge.Host.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Forge.Host.Scheduling;

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
