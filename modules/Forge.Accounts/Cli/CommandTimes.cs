using System.Globalization;

namespace Forge.Accounts.Cli;

/// <summary>How the users commands print a time: UTC, to the second, ISO 8601.</summary>
internal static class CommandTimes
{
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Format(long unixSeconds) => Format(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));
}
