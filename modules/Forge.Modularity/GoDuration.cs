using System.Globalization;
using System.Text;

namespace Forge.Modularity;

/// <summary>
/// Durations in the form operators know from Forgejo's app.ini (Go's <c>time.ParseDuration</c>):
/// a sequence of numbers with units, such as <c>24h</c>, <c>90m</c>, <c>1h30m</c>, <c>1.5h</c> or <c>45s</c>.
/// Units: ns, us (or µs), ms, s, m, h. A bare <c>0</c> is zero. Negative durations are refused.
/// </summary>
public static class GoDuration
{
    private static readonly (string Unit, long Ticks)[] Units =
    [
        ("ns", 0), // below a tick: allowed, rounded down
        ("us", 10),
        ("µs", 10),
        ("μs", 10),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
    ];

    /// <summary>
    /// The longest age a cleanup accepts (<c>OlderThan</c>, <c>--older-than</c>): 50 years, so that a cutoff never
    /// falls before 1970, where no row is. A longer one is a typo, and far enough back is not a date at all.
    /// </summary>
    public static TimeSpan MaximumAge { get; } = TimeSpan.FromHours(438_000);

    public static TimeSpan Parse(string text)
        => TryParse(text, out var value, out var error)
            ? value
            : throw new FormatException($"'{text}' is not a duration: {error}");

    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = string.Empty;
        var s = (text ?? string.Empty).Trim();
        if (s.Length == 0)
        {
            error = "it is empty (use e.g. 24h, 90m, 1h30m, 45s)";
            return false;
        }

        if (s == "0")
        {
            return true;
        }

        if (s[0] == '-')
        {
            error = "it is negative";
            return false;
        }

        if (s[0] == '+')
        {
            s = s[1..];
        }

        decimal totalTicks = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            var number = s[start..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1)
            {
                error = "expected a number (use e.g. 24h, 90m, 1h30m, 45s)";
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            var unit = s[unitStart..i];
            if (unit.Length == 0)
            {
                error = $"'{number}' has no unit (one of h, m, s, ms, us, ns)";
                return false;
            }

            var ticksPerUnit = -1L;
            foreach (var (name, ticks) in Units)
            {
                if (name == unit)
                {
                    ticksPerUnit = ticks;
                }
            }

            if (ticksPerUnit < 0)
            {
                error = $"unknown unit '{unit}' (one of h, m, s, ms, us, ns)";
                return false;
            }

            try
            {
                var amount = decimal.Parse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                totalTicks += unit == "ns" ? amount / 100 : amount * ticksPerUnit;
            }
            catch (OverflowException)
            {
                totalTicks = decimal.MaxValue; // beyond decimal's range is far beyond TimeSpan's
            }

            if (totalTicks > TimeSpan.MaxValue.Ticks)
            {
                error = "it is too long";
                return false;
            }
        }

        value = TimeSpan.FromTicks((long)decimal.Truncate(totalTicks));
        return true;
    }

    /// <summary>The shortest form that parses back to the same whole seconds: <c>24h</c>, <c>1h30m</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            return "-" + Format(-value);
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            return value == TimeSpan.Zero ? "0s" : $"{value.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
        }

        var text = new StringBuilder();
        var hours = (long)value.TotalHours;
        if (hours > 0)
        {
            text.Append(hours).Append('h');
        }

        if (value.Minutes > 0)
        {
            text.Append(value.Minutes).Append('m');
        }

        var seconds = value.Seconds + (value.Milliseconds / 1000.0);
        if (seconds > 0)
        {
            text.Append(seconds.ToString(CultureInfo.InvariantCulture)).Append('s');
        }

        return text.ToString();
    }
}
