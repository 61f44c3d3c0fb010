using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// The registry API's settings: <c>Forge:Registry:AnonymousPull</c> (default false) and
/// <c>Forge:Registry:PullFlushInterval</c> (default 1m, from 1s to 1h: how often the last pulls are written).
/// </summary>
public sealed record RegistrySettings(bool AnonymousPull, TimeSpan PullFlushInterval)
{
    public const string AnonymousPullKey = "Forge:Registry:AnonymousPull";
    public const string PullFlushIntervalKey = "Forge:Registry:PullFlushInterval";

    public static TimeSpan DefaultPullFlushInterval { get; } = TimeSpan.FromMinutes(1);
    public static TimeSpan MinimumPullFlushInterval { get; } = TimeSpan.FromSeconds(1);
    public static TimeSpan MaximumPullFlushInterval { get; } = TimeSpan.FromHours(1);

    public static RegistrySettings Read(IConfiguration configuration)
        => new(ReadAnonymousPull(configuration), ReadPullFlushInterval(configuration));

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

    private static TimeSpan ReadPullFlushInterval(IConfiguration configuration)
    {
        var text = configuration[PullFlushIntervalKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultPullFlushInterval;
        }

        if (!GoDuration.TryParse(text, out var interval, out var error))
        {
            throw new ModuleSettingException($"{PullFlushIntervalKey} is '{text}': {error}.");
        }

        return interval >= MinimumPullFlushInterval && interval <= MaximumPullFlushInterval
            ? interval
            : throw new ModuleSettingException(
                $"{PullFlushIntervalKey} is '{text}': it must be between {GoDuration.Format(MinimumPullFlushInterval)} and {GoDuration.Format(MaximumPullFlushInterval)}.");
    }
}
