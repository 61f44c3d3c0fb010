using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Accounts;

/// <summary>
/// The limiter of failed sign-ins and the bound on PBKDF2 work, <c>Forge:Accounts:SignInLimit:*</c>, read and validated
/// at start. <see cref="PerAccount"/> and <see cref="PerAddress"/> failed verifications are allowed per
/// <see cref="Window"/> (token buckets: a full burst at once, then one more every <c>Window / limit</c>); at most
/// <see cref="MaxConcurrentDerivations"/> PBKDF2 derivations run at once, <see cref="MaxQueuedDerivations"/> wait; a
/// throttled answer comes after <see cref="ThrottledPause"/> (at most its Retry-After), so that a client that ignores
/// Retry-After cannot turn the cheap refusal into a flood of its own. <see cref="Enabled"/> false switches all of it
/// off: no limits, no bound, every verification derives at once.
/// </summary>
public sealed record SignInLimitSettings(
    bool Enabled,
    int PerAccount,
    int PerAddress,
    TimeSpan Window,
    int MaxConcurrentDerivations,
    int MaxQueuedDerivations,
    int MaxTrackedKeys,
    TimeSpan ThrottledPause)
{
    public const string Section = "Forge:Accounts:SignInLimit";
    public const string EnabledKey = Section + ":Enabled";
    public const string PerAccountKey = Section + ":PerAccount";
    public const string PerAddressKey = Section + ":PerAddress";
    public const string WindowKey = Section + ":Window";
    public const string MaxConcurrentDerivationsKey = Section + ":MaxConcurrentDerivations";
    public const string MaxQueuedDerivationsKey = Section + ":MaxQueuedDerivations";
    public const string MaxTrackedKeysKey = Section + ":MaxTrackedKeys";
    public const string ThrottledPauseKey = Section + ":ThrottledPause";

    public const int DefaultPerAccount = 10;
    public const int DefaultPerAddress = 30;
    public const int DefaultMaxQueuedDerivations = 32;
    public const int DefaultMaxTrackedKeys = 100_000;

    public static TimeSpan DefaultWindow { get; } = TimeSpan.FromMinutes(5);
    public static TimeSpan MinimumWindow { get; } = TimeSpan.FromSeconds(1);
    public static TimeSpan MaximumWindow { get; } = TimeSpan.FromHours(24);
    public static TimeSpan DefaultThrottledPause { get; } = TimeSpan.FromSeconds(1);
    public static TimeSpan MaximumThrottledPause { get; } = TimeSpan.FromMinutes(1);

    /// <summary>One core is left to requests that carry a remembered password or need no PBKDF2 at all.</summary>
    public static int DefaultMaxConcurrentDerivations => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>The defaults: what <see cref="Read"/> gives without settings.</summary>
    public static SignInLimitSettings Default => new(
        true, DefaultPerAccount, DefaultPerAddress, DefaultWindow, DefaultMaxConcurrentDerivations, DefaultMaxQueuedDerivations, DefaultMaxTrackedKeys, DefaultThrottledPause);

    public static SignInLimitSettings Read(IConfiguration configuration) => new(
        ModuleSettings.Boolean(configuration, EnabledKey, true),
        ModuleSettings.WholeNumber(configuration, PerAccountKey, DefaultPerAccount, 1, 100_000),
        ModuleSettings.WholeNumber(configuration, PerAddressKey, DefaultPerAddress, 1, 100_000),
        ModuleSettings.Duration(configuration, WindowKey, DefaultWindow, MinimumWindow, MaximumWindow),
        ModuleSettings.WholeNumber(configuration, MaxConcurrentDerivationsKey, DefaultMaxConcurrentDerivations, 1, 1_024),
        ModuleSettings.WholeNumber(configuration, MaxQueuedDerivationsKey, DefaultMaxQueuedDerivations, 0, 100_000),
        ModuleSettings.WholeNumber(configuration, MaxTrackedKeysKey, DefaultMaxTrackedKeys, 100, 10_000_000),
        ModuleSettings.Duration(configuration, ThrottledPauseKey, DefaultThrottledPause, TimeSpan.Zero, MaximumThrottledPause));
}
