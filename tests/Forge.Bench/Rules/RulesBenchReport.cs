using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Forge.Bench.Rules;

/// <summary>The rules benchmark's table, or its JSON.</summary>
public static class RulesBenchReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToJson(RulesBenchResult result) => JsonSerializer.Serialize(result, Json);

    public static string ToTable(RulesBenchResult result)
    {
        var text = new StringBuilder();
        var generation = result.Generation;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Package rules benchmark: one repository of {generation.Tags:N0} tags ({generation.Versions:N0} versions, {generation.DigestVersions:N0} of them by digest; " +
            $"{generation.Files:N0} files, {generation.Properties:N0} properties), rule keep_count {result.KeepCount}; seed {result.Seed}; PostgreSQL {result.ServerVersion}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"generated in {generation.TotalSeconds:0.0} s; the preview looks at {result.VersionsLookedAt:N0} versions and removes {result.PreviewRemoved:N0}, and so does every run; medians of {result.Runs} run(s)");
        if (result.Medians is not { } m)
        {
            return text.ToString();
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"command",-38} {"wall s",8} {"peak MB",8} {"own s",8} {"longest tx s",13} {"longest locking tx s",21}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"packages rules list --json (start-up)",-38} {m.CommandWallSeconds,8:0.00} {Megabytes(m.CommandPeakMegabytes),8} {"",8} {"",13} {"",21}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"packages rules preview <id> --json",-38} {m.PreviewWallSeconds,8:0.00} {Megabytes(m.PreviewPeakMegabytes),8} {m.PreviewSeconds,8:0.00} {m.PreviewReadSeconds,13:0.00} {"",21}");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"cron run cleanup_package_rules",-38} {m.RunWallSeconds,8:0.00} {Megabytes(m.RunPeakMegabytes),8} {m.RunSeconds,8:0.00} {m.LongestTransactionSeconds,13:0.00} {m.LongestLockingTransactionSeconds,21:0.00}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"own s: the preview's report's durationSeconds (reading and planning, not the JSON) and the cron runner's time of the run. The preview's JSON: {m.PreviewReportBytes / (1024.0 * 1024.0):0.0} MiB. " +
            $"The run removed {m.RemovedVersions:N0} versions, {m.RemovedFiles:N0} files, {m.RemovedProperties:N0} properties.");
        return text.ToString();
    }

    private static string Megabytes(double? megabytes) => megabytes is { } mb ? mb.ToString("0", CultureInfo.InvariantCulture) : "n/a";
}
