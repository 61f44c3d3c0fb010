using System.Text.Json.Serialization;
using Forge.Host.Hosting;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Quartz;

namespace Forge.Host.Http;

/// <summary>
/// <c>GET /healthz</c>: 200 when the database answers <c>SELECT 1</c> within <see cref="DatabaseTimeout"/> and the
/// scheduler is started and not shut down; else 503. The body names each check and why one failed.
/// </summary>
public sealed class HealthEndpoint(NpgsqlDataSource database, ISchedulerFactory schedulers)
{
    public static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(3);

    public async Task HandleAsync(HttpContext context)
    {
        var checks = new Dictionary<string, HealthCheck>
        {
            ["database"] = await DatabaseAsync(context.RequestAborted),
            ["scheduler"] = await SchedulerAsync(context.RequestAborted),
        };
        var ok = checks.Values.All(c => c.Ok);
        context.Response.Headers.CacheControl = "no-store";
        await HttpJson.WriteAsync(
            context, ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, new HealthReport(ok ? "ok" : "unhealthy", checks));
    }

    private async Task<HealthCheck> DatabaseAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DatabaseTimeout);
        try
        {
            await using var connection = await database.OpenConnectionAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)DatabaseTimeout.TotalSeconds };
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheck.Passed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheck.Failed($"no answer within {DatabaseTimeout.TotalSeconds:0}s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Npgsql's messages name the host and port, never the password.
            return HealthCheck.Failed(ExceptionMessage.OneLine(e));
        }
    }

    private async Task<HealthCheck> SchedulerAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await scheduler.GetStatus(cancellationToken) switch
        {
            SchedulerStatus.Running => HealthCheck.Passed,
            SchedulerStatus.ShuttingDown or SchedulerStatus.Shutdown => HealthCheck.Failed("the scheduler is shut down"),
            SchedulerStatus.Standby => HealthCheck.Failed("the scheduler is in standby"),
            var status => HealthCheck.Failed($"the scheduler is not started ({status.ToString().ToLowerInvariant()})"),
        };
    }

    private sealed record HealthReport(string Status, IReadOnlyDictionary<string, HealthCheck> Checks);

    private sealed record HealthCheck(bool Ok, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error)
    {
        public static HealthCheck Passed { get; } = new(true, null);

        public static HealthCheck Failed(string error) => new(false, error);
    }
}
