using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// The registry API's settings: <c>Forge:Registry:AnonymousPull</c> (default false),
/// <c>Forge:Registry:PullFlushInterval</c> (default 1m, from 1s to 1h: how often the last pulls are written), and the
/// token flow's (<see cref="RegistryTokenSettings"/>).
/// </summary>
public sealed record RegistrySettings(bool AnonymousPull, TimeSpan PullFlushInterval, RegistryTokenSettings Tokens)
{
    public const string AnonymousPullKey = "Forge:Registry:AnonymousPull";
    public const string PullFlushIntervalKey = "Forge:Registry:PullFlushInterval";

    public static TimeSpan DefaultPullFlushInterval { get; } = TimeSpan.FromMinutes(1);
    public static TimeSpan MinimumPullFlushInterval { get; } = TimeSpan.FromSeconds(1);
    public static TimeSpan MaximumPullFlushInterval { get; } = TimeSpan.FromHours(1);

    public static RegistrySettings Read(IConfiguration configuration)
        => new(
            ReadAnonymousPull(configuration),
            ReadDuration(configuration, PullFlushIntervalKey, DefaultPullFlushInterval, MinimumPullFlushInterval, MaximumPullFlushInterval),
            RegistryTokenSettings.Read(configuration));

    private static bool ReadAnonymousPull(IConfiguration configuration)
    {
        var text = configuration[AnonymousPullKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        return bool.TryParse(text.Trim(), out var anonymous)
            ? anonymous
            : throw new ModuleSettingException($"{AnonymousPullKey} is '{text}': it must be true or false.");
    }

    /// <summary>A Go duration between <paramref name="minimum"/> and <paramref name="maximum"/>; <paramref name="fallback"/> when unset.</summary>
    internal static TimeSpan ReadDuration(IConfiguration configuration, string key, TimeSpan fallback, TimeSpan minimum, TimeSpan maximum)
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
}
