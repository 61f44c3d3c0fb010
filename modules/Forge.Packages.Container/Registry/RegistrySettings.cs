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
            ModuleSettings.Boolean(configuration, AnonymousPullKey, false),
            ModuleSettings.Duration(configuration, PullFlushIntervalKey, DefaultPullFlushInterval, MinimumPullFlushInterval, MaximumPullFlushInterval),
            RegistryTokenSettings.Read(configuration));
}
