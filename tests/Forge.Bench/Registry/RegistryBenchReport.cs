using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Forge.Bench.Registry;

/// <summary>The registry benchmark's table and ratios, or its JSON.</summary>
public static class RegistryBenchReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToJson(RegistryBenchResult result) => JsonSerializer.Serialize(result, Json);

    public static string ToTable(RegistryBenchResult result)
    {
        var text = new StringBuilder();
        var image = result.Image;
        var megabytes = result.ImageMegabytes;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Registry benchmark: skopeo copy --all of a {image.Platforms}-platform image, {image.Layers} layers, {megabytes:0.0} MiB of incompressible layers, {image.Blobs} blobs; seed {result.Seed}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{result.SkopeoVersion}; reference: {result.ReferenceVersion ?? "not run"}; medians of {result.Runs} run(s), contenders alternating; every pull identical to the push: {(result.DigestsIdentical ? "yes" : "NO")}");
        text.AppendLine("forge: Basic credentials checked on every request; reference: no authentication. RSS and CPU are the server process's own (Forge's embedded PostgreSQL not included); MB = 2^20 bytes.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{"contender",-10} {"push s",8} {"pull s",8} {"push MB/s",10} {"pull MB/s",10} {"push CPU s",11} {"pull CPU s",11} {"peak RSS MB",12} {"idle RSS MB",12} {"disk MB",9}");
        foreach (var row in result.Medians)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{row.Contender,-10} {row.PushSeconds,8:0.00} {row.PullSeconds,8:0.00} {row.PushMegabytesPerSecond(megabytes),10:0.0} {row.PullMegabytesPerSecond(megabytes),10:0.0} {row.PushCpuSeconds,11:0.00} {row.PullCpuSeconds,11:0.00} {row.PeakResidentMegabytes,12:0} {row.IdleResidentMegabytes,12:0} {row.DiskMegabytes,9:0.0}");
        }

        var forge = result.Medians.FirstOrDefault(m => m.Contender == RegistryBenchOptions.Forge);
        var reference = result.Medians.FirstOrDefault(m => m.Contender == RegistryBenchOptions.Reference);
        if (forge is not null && reference is not null)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Forge/reference: push {Ratio(forge.PushSeconds, reference.PushSeconds)}, pull {Ratio(forge.PullSeconds, reference.PullSeconds)}, " +
                $"server CPU push {Ratio(forge.PushCpuSeconds, reference.PushCpuSeconds)}, pull {Ratio(forge.PullCpuSeconds, reference.PullCpuSeconds)}, " +
                $"peak RSS {Ratio(forge.PeakResidentMegabytes, reference.PeakResidentMegabytes)}, idle RSS {Ratio(forge.IdleResidentMegabytes, reference.IdleResidentMegabytes)}, " +
                $"disk {Ratio(forge.DiskMegabytes, reference.DiskMegabytes)}");
        }

        return text.ToString();
    }

    private static string Ratio(double forge, double other)
        => other > 0 ? (forge / other).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";
}
