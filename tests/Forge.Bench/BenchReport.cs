using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Forge.Bench;

/// <summary>The benchmark's table and ratios, or its JSON.</summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToJson(BenchResult result) => JsonSerializer.Serialize(result, Json);

    public static string ToTable(BenchResult result)
    {
        var text = new StringBuilder();
        var generation = result.Generation;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Container cleanup benchmark: {generation.Versions:N0} versions in {generation.Packages:N0} image repositories, {generation.Files:N0} files, {generation.Properties:N0} properties; seed {result.Seed}; PostgreSQL {result.ServerVersion}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"generated in {generation.TotalSeconds:0.0} s; all three delete the same {result.AgreedVersions:N0} versions; medians of {result.Runs} run(s); databases identical afterwards: {(result.DatabasesIdentical ? "yes" : "NO")}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{"contender",-10} {"wall s",8} {"peak MB",8} {"versions",9} {"files",9} {"properties",11} {"longest locking tx s",21} {"longest tx s",13}");
        foreach (var row in result.Medians)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Contender,-10} {row.WallSeconds,8:0.00} {(row.PeakMegabytes is { } mb ? mb.ToString("0", CultureInfo.InvariantCulture) : "n/a"),8} {row.DeletedVersions,9} {row.DeletedFiles,9} {row.DeletedProperties,11} {row.LongestLockingTransactionSeconds,21:0.00} {row.LongestTransactionSeconds,13:0.00}");
        }

        var forge = result.Medians.FirstOrDefault(m => m.Contender == BenchPipeline.Forge);
        if (forge is not null)
        {
            text.AppendLine();
            foreach (var other in result.Medians.Where(m => m != forge))
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"Forge/{other.Contender}: wall {Ratio(forge.WallSeconds, other.WallSeconds)}, peak memory {Ratio(forge.PeakMegabytes, other.PeakMegabytes)}, longest locking tx {Ratio(forge.LongestLockingTransactionSeconds, other.LongestLockingTransactionSeconds)}");
            }
        }

        return text.ToString();
    }

    private static string Ratio(double? forge, double? other)
        => forge is { } f && other is { } o && o > 0 ? (f / o).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";
}
