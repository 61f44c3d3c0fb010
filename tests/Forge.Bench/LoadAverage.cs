using System.Globalization;

namespace Forge.Bench;

/// <summary>The machine's load: the benchmarks report it before and after, since the machine is shared.</summary>
public static class LoadAverage
{
    /// <summary>The 1, 5 and 15 minute load averages of <c>/proc/loadavg</c>, e.g. <c>2.88 3.10 3.02</c>.</summary>
    public static string Now()
        => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(l => double.Parse(l, CultureInfo.InvariantCulture).ToString("0.00", CultureInfo.InvariantCulture)));
}
