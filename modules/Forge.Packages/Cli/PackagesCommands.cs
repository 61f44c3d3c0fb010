using System.CommandLine;
using System.Globalization;
using Forge.Modularity;
using Forge.Packages.ExpiredData;
using Forge.Packages.Fsck;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Cli;

/// <summary><c>packages cleanup</c> and <c>packages fsck</c>.</summary>
internal static class PackagesCommands
{
    public static Command Cleanup(IModuleCommandHost host)
    {
        var olderThan = CommandOptions.Duration("--older-than", "Remove only what is older than this (Go duration: 24h, 90m, 0s). Default: the task's OlderThan.");
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what a real run would remove now; remove nothing." };
        var json = CommandOptions.Json();
        var command = new Command("cleanup", "Remove expired uploads, unused uploaded blobs, empty packages and orphaned blobs, and free their disk (the cron task cleanup_packages, run now). Exit code 3: skipped because another run is in progress.");
        command.Options.Add(olderThan);
        command.Options.Add(dryRun);
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var defaults = ExpiredDataCleanupTask.OptionsFrom(services.GetRequiredService<ICronTaskSettingsLookup>().SettingsOf(ExpiredDataCleanupTask.Name));
            var options = defaults with
            {
                OlderThan = parsed.GetValue(olderThan) is { } text ? GoDuration.Parse(text) : defaults.OlderThan,
                DryRun = parsed.GetValue(dryRun) || defaults.DryRun,
            };
            var report = await services.GetRequiredService<ExpiredDataCleanup>().RunAsync(options, cancellationToken);
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(report.ToJson());
            }
            else if (report.Skipped)
            {
                await host.Output.WriteLineAsync("Skipped: another run of the expired-data cleanup is in progress.");
            }
            else
            {
                var verb = report.DryRun ? "would remove" : "removed";
                var cutoff = DateTimeOffset.FromUnixTimeSeconds(report.CutoffUnix).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
                await host.Output.WriteLineAsync($"Expired-data cleanup{(report.DryRun ? " (dry run: nothing removed)" : string.Empty)}: older than {cutoff}");
                var number = 0;
                foreach (var (_, step) in report.Steps)
                {
                    await host.Output.WriteLineAsync($"  {++number}. {step.Line(verb, report.DryRun)}");
                }

                await host.Output.WriteLineAsync($"  {(report.DryRun ? "would free" : "freed")} {report.BytesFreed} bytes in {report.DurationSeconds:0.##}s");
            }

            return report.Skipped ? ExitCodes.Skipped : ExitCodes.Success;
        }, token));
        return command;
    }

    public static Command Fsck(IModuleCommandHost host)
    {
        var repair = new Option<bool>("--repair") { Description = "Remove content files that no blob row names and that are older than --older-than. Never deletes rows." };
        var olderThan = CommandOptions.Duration("--older-than", "With --repair: remove only stray files last written longer ago than this. Default: 24h.");
        var json = CommandOptions.Json();
        var command = new Command("fsck", "Compare the content store with package_blob: stray files, missing files (data loss), corrupt files. Exit code 1 when a file is missing or corrupt.");
        command.Options.Add(repair);
        command.Options.Add(olderThan);
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var age = parsed.GetValue(olderThan) is { } text ? GoDuration.Parse(text) : TimeSpan.FromHours(24);
            var report = await services.GetRequiredService<ContentStoreCheck>().RunAsync(parsed.GetValue(repair), age, cancellationToken);
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(report.ToJson());
            }
            else
            {
                await host.Output.WriteLineAsync($"{report.BlobRows} blob row(s), {report.ContentFiles} content file(s)");
                await host.Output.WriteLineAsync($"  stray files (no blob row): {report.StrayFiles.Count}" + (report.Repair ? $", {report.StrayFilesRemoved} removed ({report.BytesFreed} bytes)" : string.Empty));
                await host.Output.WriteLineAsync($"  missing files (DATA LOSS): {report.MissingFiles.Count}");
                await host.Output.WriteLineAsync($"  corrupt files: {report.CorruptFiles.Count}");
                foreach (var hash in report.MissingFiles.Take(20))
                {
                    await host.Output.WriteLineAsync($"  missing  sha256:{hash}");
                }

                foreach (var hash in report.CorruptFiles.Take(20))
                {
                    await host.Output.WriteLineAsync($"  corrupt  sha256:{hash}");
                }
            }

            return report.Healthy ? ExitCodes.Success : ExitCodes.Failure;
        }, token));
        return command;
    }
}
