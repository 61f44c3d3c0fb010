using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Forge.Host.Hosting;
using Forge.Host.Scheduling;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Host.Cli;

/// <summary><c>cron list</c> and <c>cron run &lt;task&gt;</c>.</summary>
internal static class CronCommands
{
    public static Command Build(ForgeAppOptions options, TextWriter output)
    {
        var cron = new Command("cron", "Inspect and run the cron tasks of the enabled modules.");

        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of a table." };
        var list = new Command("list", "List the cron tasks: enabled, schedule, next run, and the last run with its outcome.");
        list.Options.Add(json);
        list.SetAction(async (parsed, token) =>
        {
            await using var app = await ForgeApp.CreateAsync(options, token);
            await app.EnsureSchemaAsync(token);
            var history = await app.Services.GetRequiredService<CronRunLog>()
                .HistoryAsync(app.CronTasks.Tasks.Select(t => t.Name), token);
            var now = DateTimeOffset.Now;
            var rows = app.CronTasks.Tasks.Zip(history, (task, h) => new CronListRow(
                task.Name,
                task.Enabled,
                task.Schedule.Text,
                task.RunAtStart,
                task.Enabled ? task.Schedule.NextAfter(now) : null,
                h.Runs,
                h.Last?.StartedAt,
                h.Last?.FinishedAt,
                h.Last is null ? null : h.Last.Outcome ?? "running",
                h.Last?.Node,
                h.Last?.Summary)).ToList();
            if (parsed.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(rows, CliJson.Options));
                return ExitCodes.Success;
            }

            await TextTable.WriteAsync(
                output,
                ["TASK", "ENABLED", "SCHEDULE", "NEXT RUN", "RUNS", "LAST RUN", "OUTCOME", "NODE", "SUMMARY"],
                rows.Select(r => new[]
                {
                    r.Task, r.Enabled ? "yes" : "no", r.Schedule + (r.RunAtStart ? " (+start)" : string.Empty), Time(r.NextRun),
                    r.Runs.ToString(CultureInfo.InvariantCulture), Time(r.LastStarted), r.LastOutcome ?? "-", r.LastNode ?? "-", r.LastSummary ?? "-",
                }));
            return ExitCodes.Success;
        });
        cron.Subcommands.Add(list);

        var task = new Argument<string>("task") { Description = "The task's name, as 'cron list' shows it." };
        var run = new Command("run", "Run one cron task now, in this process, with its configured settings; the run is recorded like a scheduled one.");
        run.Arguments.Add(task);
        run.SetAction(async (parsed, token) =>
        {
            await using var app = await ForgeApp.CreateAsync(options, token);
            var name = parsed.GetValue(task)!;
            if (app.CronTasks.Find(name) is null)
            {
                throw new ForgeConfigurationException(
                    $"There is no cron task named '{name}' (tasks: {string.Join(", ", app.CronTasks.Tasks.Select(t => t.Name))}).");
            }

            await app.EnsureSchemaAsync(token);
            var report = await app.Services.GetRequiredService<CronRunner>().RunAsync(name, CronRunTrigger.Manual, token);
            await output.WriteLineAsync($"{report.Task}: {report.Outcome.ToString().ToLowerInvariant()} in {report.Duration.TotalSeconds:0.###}s (run {report.RunId}): {report.Summary}");
            return report.Outcome switch
            {
                CronRunOutcome.Success => ExitCodes.Success,
                CronRunOutcome.Skipped => ExitCodes.Skipped,
                _ => ExitCodes.Failure,
            };
        });
        cron.Subcommands.Add(run);
        return cron;
    }

    private static string Time(DateTimeOffset? time)
        => time?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private sealed record CronListRow(
        string Task,
        bool Enabled,
        string Schedule,
        bool RunAtStart,
        DateTimeOffset? NextRun,
        long Runs,
        DateTimeOffset? LastStarted,
        DateTimeOffset? LastFinished,
        string? LastOutcome,
        string? LastNode,
        string? LastSummary);
}

internal static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
