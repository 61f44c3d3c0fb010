using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Forge.Modularity;

/// <summary>
/// Reads a module's own settings at start, so that every module's settings parse and fail alike: an unset or blank
/// key gives the fallback, a bad value throws a <see cref="ModuleSettingException"/> of one line that names the key,
/// the value as written and what is allowed. Bounds are inclusive.
/// </summary>
public static class ModuleSettings
{
    /// <summary><c>true</c> or <c>false</c> (any case, spaces around allowed); <paramref name="fallback"/> when unset.</summary>
    public static bool Boolean(IConfiguration configuration, string key, bool fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return bool.TryParse(text.Trim(), out var value)
            ? value
            : throw new ModuleSettingException($"{key} is '{text}': it must be true or false.");
    }

    /// <summary>
    /// A whole number written with digits only, from <paramref name="minimum"/> to <paramref name="maximum"/>;
    /// <paramref name="fallback"/> when unset.
    /// </summary>
    public static int WholeNumber(IConfiguration configuration, string key, int fallback, int minimum, int maximum)
        => WholeNumber(configuration, key, fallback, minimum, maximum, $"a whole number from {Grouped(minimum)} to {Grouped(maximum)}");

    /// <summary>
    /// A whole number written with digits only, <paramref name="minimum"/> or more (up to <see cref="int.MaxValue"/>);
    /// <paramref name="fallback"/> when unset.
    /// </summary>
    public static int WholeNumber(IConfiguration configuration, string key, int fallback, int minimum)
        => WholeNumber(configuration, key, fallback, minimum, int.MaxValue, $"a whole number, {Grouped(minimum)} or more");

    /// <summary>
    /// A Go duration (<see cref="GoDuration"/>) from <paramref name="minimum"/> to <paramref name="maximum"/>;
    /// <paramref name="fallback"/> when unset.
    /// </summary>
    public static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan fallback, TimeSpan minimum, TimeSpan maximum)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!GoDuration.TryParse(text, out var value, out var error))
        {
            throw new ModuleSettingException($"{key} is '{text}': {error}.");
        }

        return value >= minimum && value <= maximum
            ? value
            : throw new ModuleSettingException($"{key} is '{text}': it must be between {GoDuration.Format(minimum)} and {GoDuration.Format(maximum)}.");
    }

    // Digits only, so a sign is refused: the bounds are never below zero.
    private static int WholeNumber(IConfiguration configuration, string key, int fallback, int minimum, int maximum, string allowed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimum);
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum
            ? value
            : throw new ModuleSettingException($"{key} is '{text}': it must be {allowed}.");
    }

    private static string Grouped(int number) => number.ToString("N0", CultureInfo.InvariantCulture);
}
