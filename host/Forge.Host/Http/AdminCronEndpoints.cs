using System.Diagnostics;
using Forge.Host.Hosting;
using Forge.Host.Scheduling;
using Forge.Modularity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Quartz;

namespace Forge.Host.Http;

/// <summary>
/// The admin API's cron endpoints, in the shape of Forgejo's: <c>GET /api/v1/admin/cron</c> lists the tasks,
/// <c>POST /api/v1/admin/cron/{task}</c> fires one now through the scheduler. Every request needs
/// <c>Authorization: token &lt;Forge:Admin:Token&gt;</c>; without a configured token the API is off.
/// </summary>
public sealed partial class AdminCronEndpoints(
    IAdminTokenCheck adminToken,
    CronTaskCatalog catalog,
    CronRunLog runLog,
    ISchedulerFactory schedulers,
    HostTelemetry telemetry,
    ILogger<AdminCronEndpoints> logger)
{
    private const string Scheme = IAdminTokenCheck.Scheme;

    // Refusals are logged at most once per RefusalLogInterval, with how many went unlogged since: whoever
    // can reach the port cannot flood the log. The counter counts every one.
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);
    private readonly Lock refusalGate = new();
    private long nextRefusalLog;
    private long unloggedRefusals;

    /// <summary><paramref name="endpoint"/> behind the admin API's switch and token check.</summary>
    public RequestDelegate Guard(RequestDelegate endpoint) => async context =>
    {
        if (!adminToken.IsConfigured)
        {
            await HttpJson.MessageAsync(context, StatusCodes.Status404NotFound,
                $"The admin API is off: set {HttpSettings.AdminTokenKey} (environment Forge__Admin__Token) to a secret token to enable it.");
            return;
        }

        var refusal = Check(context.Request.Headers.Authorization);
        if (refusal is not null)
        {
            telemetry.AdminUnauthorized.Add(1, new TagList { { "reason", refusal } });
            if (RefusalToLog() is { } unlogged)
            {
                LogRefused(refusal, context.Request.Method, context.Request.Path.Value ?? string.Empty, context.Connection.RemoteIpAddress?.ToString() ?? "?", unlogged);
            }

            context.Response.Headers.WWWAuthenticate = Scheme;
            await HttpJson.MessageAsync(context, StatusCodes.Status401Unauthorized,
                refusal == "missing" ? "This needs 'Authorization: token <admin token>'." : "The token is not the admin token.");
            return;
        }

        await endpoint(context);
    };

    /// <summary><c>GET /api/v1/admin/cron</c>: every task of the enabled modules with its schedule, next run (from the scheduler) and last run.</summary>
    public async Task ListAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var history = await runLog.HistoryAsync(catalog.Tasks.Select(t => t.Name), cancellationToken);
        var rows = new List<CronTaskRow>();
        foreach (var (task, runs) in catalog.Tasks.Zip(history))
        {
            var trigger = task.Enabled ? await scheduler.GetTrigger(new TriggerKey(task.Name, CronTaskJob.Group), cancellationToken) : null;
            rows.Add(new CronTaskRow(
                task.Name,
                task.Schedule.Text,
                task.Enabled,
                task.RunAtStart,
                trigger?.NextFireTimeUtc,
                runs.Last?.StartedAt,
                runs.Last is null ? null : runs.Last.Outcome ?? "running",
                runs.Runs));
        }

        await HttpJson.WriteAsync(context, StatusCodes.Status200OK, rows);
    }

    /// <summary>
    /// <c>POST /api/v1/admin/cron/{task}</c>: fires the task's job now (204). It runs on the scheduler like any
    /// fire (one at a time per task; with the clustered store on whichever node takes it) and is recorded
    /// with trigger <c>manual</c>. 404 for an unknown task, 409 for a disabled one.
    /// </summary>
    public async Task RunNowAsync(HttpContext context)
    {
        var name = context.Request.RouteValues["task"] as string ?? string.Empty;
        if (catalog.Find(name) is not { } task)
        {
            await HttpJson.MessageAsync(context, StatusCodes.Status404NotFound,
                $"There is no cron task named '{name}' (tasks: {string.Join(", ", catalog.Tasks.Select(t => t.Name))}).");
            return;
        }

        if (!task.Enabled)
        {
            await HttpJson.MessageAsync(context, StatusCodes.Status409Conflict,
                $"Cron task {task.Name} is disabled (Forge:Cron:{task.Name}:Enabled): enable it, or run it once with 'forge cron run {task.Name}'.");
            return;
        }

        var scheduler = await schedulers.GetScheduler(context.RequestAborted);
        var job = new JobKey(task.Name, CronTaskJob.Group);
        if (await scheduler.GetStatus(context.RequestAborted) != SchedulerStatus.Running || !await scheduler.Exists(job, context.RequestAborted))
        {
            await HttpJson.MessageAsync(context, StatusCodes.Status503ServiceUnavailable, "The scheduler is not running (the host is starting or stopping); try again.");
            return;
        }

        await scheduler.TriggerJob(job, context.RequestAborted);
        LogTriggered(task.Name, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Null when the header carries the admin token; else why not (<c>missing</c> or <c>wrong</c>), a tag value of few kinds.</summary>
    private string? Check(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            return "missing";
        }

        var presented = authorization[(Scheme.Length + 1)..].Trim();
        if (presented.Length == 0)
        {
            return "missing";
        }

        return adminToken.Matches(presented) ? null : "wrong";
    }

    /// <summary>The number of refusals not logged since the last line, when this one is to be logged; else null.</summary>
    private long? RefusalToLog()
    {
        lock (refusalGate)
        {
            var now = Environment.TickCount64;
            if (now < nextRefusalLog)
            {
                unloggedRefusals++;
                return null;
            }

            nextRefusalLog = now + (long)RefusalLogInterval.TotalMilliseconds;
            var unlogged = unloggedRefusals;
            unloggedRefusals = 0;
            return unlogged;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin API request refused ({Reason} token): {Method} {Path} from {Remote}; {Unlogged} more refused since the last such line (at most one every 10 s)")]
    private partial void LogRefused(string reason, string method, string path, string remote, long unlogged);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron task {Task} fired through the admin API (from {Remote})")]
    private partial void LogTriggered(string task, string remote);

    /// <summary>Forgejo's cron entry (<c>name</c>, <c>schedule</c>, <c>next</c>, <c>prev</c>, <c>exec_times</c>) and Forge's own fields.</summary>
    private sealed record CronTaskRow(
        string Name,
        string Schedule,
        bool Enabled,
        bool RunAtStart,
        DateTimeOffset? Next,
        DateTimeOffset? Prev,
        string? PrevOutcome,
        long ExecTimes);
}
