using System.Globalization;

namespace Forge.Accounts;

/// <summary>
/// How long a new access token lives (<c>--expires</c>): a whole number with <c>d</c> (days), <c>h</c> (hours) or
/// <c>m</c> (minutes), such as <c>90d</c> or <c>12h</c>, from <see cref="Shortest"/> to <see cref="Longest"/>.
/// </summary>
public static class AccessTokenLifetime
{
    public static TimeSpan Shortest { get; } = TimeSpan.FromMinutes(1);

    public static TimeSpan Longest { get; } = TimeSpan.FromDays(3650);

    public const string Syntax = "a whole number with d, h or m (e.g. 90d, 12h, 30m), from 1m to 3650d";

    /// <summary>The lifetime <paramref name="text"/> says; otherwise null and <paramref name="problem"/> in one line.</summary>
    public static TimeSpan? Parse(string text, out string? problem)
    {
        problem = null;
        var unit = text.Length > 1 ? text[^1] : '\0';
        var digits = text.Length > 1 ? text[..^1] : string.Empty;
        if (unit is not ('d' or 'h' or 'm') || !digits.All(char.IsAsciiDigit) || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            problem = $"'{text}' is not a lifetime: use {Syntax}";
            return null;
        }

        var minutes = unit switch { 'd' => 1440m, 'h' => 60m, _ => 1m } * number;
        if (minutes < (decimal)Shortest.TotalMinutes || minutes > (decimal)Longest.TotalMinutes)
        {
            problem = $"'{text}' is out of range: from 1m to 3650d";
            return null;
        }

        return TimeSpan.FromMinutes((double)minutes);
    }
}
