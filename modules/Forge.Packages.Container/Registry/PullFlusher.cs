using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// Writes the recorded pulls (<see cref="PullRecorder"/>) every <c>Forge:Registry:PullFlushInterval</c>, and once more
/// when the host stops, after the HTTP server (registered before it, it is stopped after it): a restart loses no pull
/// that the database would take. A hosted service, so only <c>forge run</c> runs it; the other commands serve no pulls.
/// </summary>
public sealed partial class PullFlusher(PullRecorder recorder, RegistrySettings settings, TimeProvider clock, ILogger<PullFlusher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.PullFlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await recorder.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what a cut-off flush took is pending again, for the last flush below.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await recorder.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout: counted below as not written.
        }

        if (recorder.Pending > 0)
        {
            LogLost(recorder.Pending);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The last pulls of {Versions} version(s) were not written before shutdown")]
    private partial void LogLost(int versions);
}
