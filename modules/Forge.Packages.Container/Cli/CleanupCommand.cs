using System.CommandLine;
using System.Globalization;
using Forge.Modularity;
using Forge.Packages.Container.Cleanup;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Container.Cli;

/// <summary><c>packages container cleanup-sha256 [--older-than DUR] [--dry-run] [--json] [--batch-size N] [--workers N]</c>.</summary>
internal static class CleanupCommand
{
    /// <summary>Candidates listed by the text summary.</summary>
    private const int ShownCandidates = 30;

    public static Command Build(IModuleCommandHost host)
    {
        var olderThan = CommandOptions.Duration(
            "--older-than", "Delete only versions created longer ago than this (Go duration: 24h, 90m, 0s). Default: the task's OlderThan.");
        var batchSize = CommandOptions.WholeNumber("--batch-size", 1, 100_000, "Versions deleted per transaction (1 to 100000). Default: the task's BatchSize.");
        var workers = CommandOptions.WholeNumber(
            "--workers", 1, DanglingImageCleanupOptions.MaxWorkers,
            $"Batches deleted at once, each on a connection of its own (1 to {DanglingImageCleanupOptions.MaxWorkers}). Default: the task's Workers.");
        var dryRun = new Option<bool>("--dry-run") { Description = "Compute and report what a real run would delete now; delete nothing." };
        var json = CommandOptions.Json();

        var command = new Command("cleanup-sha256", "Remove dangling sha256:* image versions (the cron task cleanup_container_sha256, run now). Exit code 3: skipped because another run is in progress.");
        command.Options.Add(olderThan);
        command.Options.Add(batchSize);
        command.Options.Add(workers);
        command.Options.Add(dryRun);
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(ContainerModule.ModuleName, async (services, cancellationToken) =>
        {
            var defaults = DanglingImageCleanupTask.OptionsFrom(services.GetRequiredService<ICronTaskSettingsLookup>().SettingsOf(DanglingImageCleanupTask.Name));
            // The text summary shows the first candidates; only --json lists them all (memory grows with them).
            var options = new DanglingImageCleanupOptions(
                parsed.GetValue(olderThan) is { } text ? GoDuration.Parse(text) : defaults.OlderThan,
                parsed.GetValue(batchSize) ?? defaults.BatchSize,
                parsed.GetValue(dryRun) || defaults.DryRun,
                parsed.GetValue(json) ? int.MaxValue : ShownCandidates,
                RemoveOrphanedReferrerTags: defaults.RemoveOrphanedReferrerTags)
            {
                Workers = parsed.GetValue(workers) ?? defaults.Workers,
            };
            // Progress only where someone watches: a terminal on standard error, and never with --json.
            var progress = Console.IsErrorRedirected || parsed.GetValue(json) ? null : new TerminalProgress();
            var report = await services.GetRequiredService<DanglingImageCleanup>().RunAsync(options, cancellationToken, progress);
            if (progress is not null)
            {
                TerminalProgress.Clear();
            }
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(report.ToJson());
            }
            else
            {
                await WriteSummaryAsync(host.Output, report);
            }

            return report.Skipped ? ExitCodes.Skipped : ExitCodes.Success;
        }, token));
        return command;
    }

    private static async Task WriteSummaryAsync(TextWriter output, DanglingImageCleanupReport report)
    {
        if (report.Skipped)
        {
            await output.WriteLineAsync("Skipped: another run of the container cleanup is in progress (CLI, cron or another node).");
            return;
        }

        var cutoff = DateTimeOffset.FromUnixTimeSeconds(report.CutoffUnix).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        var verb = report.DryRun ? "would delete" : "deleted";
        await output.WriteLineAsync($"Dangling image cleanup{(report.DryRun ? " (dry run: nothing deleted)" : string.Empty)}: versions created before {cutoff} (older than {GoDuration.Format(TimeSpan.FromSeconds(report.OlderThanSeconds))})");
        await output.WriteLineAsync($"  scanned {report.ScannedVersions} container version(s), {report.DigestVersions} by digest");
        await output.WriteLineAsync($"  unreferenced {report.UnreferencedVersions}: too young {report.TooYoungVersions}, subject alive {report.SubjectAliveVersions}, spared {report.SparedVersions}");
        await output.WriteLineAsync($"  {verb} {report.DeletedVersions} version(s), {report.DeletedFiles} file(s), {report.DeletedProperties} propert(ies) in {report.Batches} batch(es), {report.DurationSeconds:0.##}s");
        if (report.DeletedOrphanedReferrers + report.DeletedOrphanedReferrerTags > 0)
        {
            await output.WriteLineAsync($"  of which orphaned referrers {report.DeletedOrphanedReferrers}, referrer tags {report.DeletedOrphanedReferrerTags}");
        }
        if (report.MalformedVersionIds.Count > 0)
        {
            await output.WriteLineAsync($"  malformed metadata_json (digests in its text kept as references): version(s) {string.Join(", ", report.MalformedVersionIds)}");
        }

        if (report.Candidates.Count > 0)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{"VERSION",-10} {"PACKAGE",-30} {"DIGEST",-20} {"CREATED",-20} DECISION");
            foreach (var candidate in report.Candidates)
            {
                var created = DateTimeOffset.FromUnixTimeSeconds(candidate.CreatedUnix).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                var decision = candidate.Decision switch
                {
                    DanglingImageDecision.Delete => report.DryRun ? "delete (dry run)" : "delete",
                    DanglingImageDecision.TooYoung => "too_young",
                    DanglingImageDecision.SubjectAlive => "subject_alive",
                    _ => "spared",
                };
                if (candidate.Kind != DanglingImageCandidateKind.Digest)
                {
                    decision += candidate.Kind == DanglingImageCandidateKind.Referrer ? " (referrer)" : " (referrer tag)";
                }

                await output.WriteLineAsync($"{candidate.VersionId,-10} {candidate.PackageName,-30} {candidate.Digest[..Math.Min(19, candidate.Digest.Length)],-20} {created,-20} {decision}");
            }

            if (report.UnreferencedVersions > report.Candidates.Count)
            {
                await output.WriteLineAsync($"... and {report.UnreferencedVersions - report.Candidates.Count} more (--json lists them all)");
            }
        }
    }

    /// <summary>One status line on standard error, rewritten in place.</summary>
    private sealed class TerminalProgress : IProgress<DanglingImageCleanupProgress>
    {
        public void Report(DanglingImageCleanupProgress value)
            => Console.Error.Write($"\r{value.VersionsRead} versions read, {value.Batches} batch(es)     ");

        public static void Clear() => Console.Error.Write("\r" + new string(' ', 40) + "\r");
    }
}
