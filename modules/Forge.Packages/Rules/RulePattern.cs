using System.Text.RegularExpressions;

namespace Forge.Packages.Rules;

/// <summary>
/// A rule's keep or remove pattern: a case-insensitive regular expression that must match the whole text (the
/// lower-case version, or <c>&lt;package&gt;/&lt;version&gt;</c>). It runs in linear time (.NET's non-backtracking
/// engine, which like Go's RE2, the engine Forgejo compiles patterns with, has no backreferences or lookaround),
/// so no pattern an owner writes can stall a run. Go's <c>(?P&lt;name&gt;…)</c> groups are accepted too.
/// </summary>
public static class RulePattern
{
    /// <summary>The longest pattern: the column is VARCHAR(255).</summary>
    public const int MaxLength = 255;

    /// <summary>The compiled pattern; null for '' (not set). Throws <see cref="ArgumentException"/> with what is wrong.</summary>
    public static Regex? Compile(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return null;
        }

        if (pattern.Length > MaxLength)
        {
            throw new ArgumentException($"it is {pattern.Length} characters long; the limit is {MaxLength}");
        }

        try
        {
            return new Regex(
                $@"\A(?:{pattern.Replace("(?P<", "(?<", StringComparison.Ordinal)})\z",
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ArgumentException($"'{pattern}' is not a regular expression this forge can run: {e.Message}", e);
        }
    }

    /// <summary>What is wrong with the pattern, or null when it compiles.</summary>
    public static string? Problem(string? pattern)
    {
        try
        {
            _ = Compile(pattern);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
