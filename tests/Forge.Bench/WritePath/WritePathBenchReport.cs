using System.Globalization;
using System.Text;

namespace Forge.Bench.WritePath;

/// <summary>The write-path benchmark's table, or its JSON.</summary>
public static class WritePathBenchReport
{
    public static string ToJson(WritePathBenchResult result) => BenchJson.Serialize(result);

    public static string ToTable(WritePathBenchResult result)
    {
        var o = result.Options;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Write path benchmark: {o.Manifests:N0} manifest PUTs over HTTP against forge run (groups of {WritePathWorkload.GroupSize}: 3 platform manifests by digest, " +
            $"an index by tag, a signature by digest), {o.Pushers} repositories, {o.WarmupManifests} untimed first; medians of {o.Runs} runs, the order reversed every other run; " +
            $"PostgreSQL {result.ServerVersion}; {result.Processors} processors; load average {result.LoadBefore} before, {result.LoadAfter} after");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{"mode",-11} {"database",-21} {"PUTs s",7} {"ms/manifest",12} {"forge CPU s",12} {"PostgreSQL CPU s",17} {"WAL MiB",8} {"WAL B/manifest",15} {"database MiB",13}");
        foreach (var m in result.Medians)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{m.Mode,-11} {m.Contender,-21} {m.Seconds,7:0.00} {m.MillisecondsPerManifest,12:0.00} {m.ServerCpuSeconds,12:0.0} " +
                $"{(m.DatabaseCpuSeconds is { } cpu ? cpu.ToString("0.0", CultureInfo.InvariantCulture) : "-"),17} {m.WalBytes / 1048576.0,8:0.0} {m.WalBytesPerManifest,15:0} {m.DatabaseBytes / 1048576.0,13:0.0}");
        }

        text.AppendLine();
        text.AppendLine("As migrated over without (above 1: what the additions cost):");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"mode",-11} {"without",-21} {"PUTs",6} {"forge CPU",10} {"PostgreSQL CPU",15} {"WAL",6}");
        foreach (var r in result.Ratios)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Mode,-11} {r.Without,-21} {r.Seconds,6:0.00} {r.ServerCpu,10:0.00} {(r.DatabaseCpu is { } cpu ? cpu.ToString("0.00", CultureInfo.InvariantCulture) : "-"),15} {r.Wal,6:0.00}");
        }

        text.AppendLine();
        foreach (var c in result.Contenders.Where(c => c.Dropped.Count > 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{c.Name}: dropped {string.Join(", ", c.Dropped.Select(d => d.Name))}");
        }

        text.AppendLine(CultureInfo.InvariantCulture,
            $"The added indexes after a sequential push as migrated: {string.Join(", ", result.IndexSizes.Select(i => $"{i.Index} {i.Bytes / 1024.0:N0} KiB"))}");
        return text.ToString();
    }
}
