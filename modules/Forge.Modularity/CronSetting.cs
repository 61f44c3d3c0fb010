using System.Globalization;

namespace Forge.Modularity;

/// <summary>A typed setting of a cron task, with its default and the rule its value must follow.</summary>
public abstract record CronSetting(string Key, string DefaultValue)
{
    /// <summary>Parses a configured value; returns an error that says what is wrong, or null.</summary>
    public abstract string? Validate(string value, out object? parsed);

    /// <summary>A Go-style age such as <c>24h</c> or <c>1h30m</c>, at least <paramref name="minimum"/> and at most <see cref="GoDuration.MaximumAge"/>.</summary>
    public static CronSetting Duration(string key, string defaultValue, TimeSpan? minimum = null)
        => new DurationSetting(key, defaultValue, minimum ?? TimeSpan.Zero);

    public static CronSetting Integer(string key, int defaultValue, int minimum, int maximum)
        => new IntegerSetting(key, defaultValue.ToString(CultureInfo.InvariantCulture), minimum, maximum);

    public static CronSetting Boolean(string key, bool defaultValue)
        => new BooleanSetting(key, defaultValue ? "true" : "false");
}

internal sealed record DurationSetting(string Key, string DefaultValue, TimeSpan Minimum) : CronSetting(Key, DefaultValue)
{
    public override string? Validate(string value, out object? parsed)
    {
        parsed = null;
        if (!GoDuration.TryParse(value, out var duration, out var error))
        {
            return error;
        }

        if (duration < Minimum)
        {
            return $"must be at least {GoDuration.Format(Minimum)}";
        }

        if (duration > GoDuration.MaximumAge)
        {
            return $"must be at most {GoDuration.Format(GoDuration.MaximumAge)} (50 years)";
        }

        parsed = duration;
        return null;
    }
}

internal sealed record IntegerSetting(string Key, string DefaultValue, int Minimum, int Maximum) : CronSetting(Key, DefaultValue)
{
    public override string? Validate(string value, out object? parsed)
    {
        parsed = null;
        if (!long.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return "is not a whole number";
        }

        if (number < Minimum || number > Maximum)
        {
            return $"must be between {Minimum} and {Maximum}";
        }

        parsed = (int)number;
        return null;
    }
}

internal sealed record BooleanSetting(string Key, string DefaultValue) : CronSetting(Key, DefaultValue)
{
    public override string? Validate(string value, out object? parsed)
    {
        parsed = null;
        if (!bool.TryParse(value.Trim(), out var flag))
        {
            return "must be true or false";
        }

        parsed = flag;
        return null;
    }
}
