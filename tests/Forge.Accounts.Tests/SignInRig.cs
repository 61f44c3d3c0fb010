using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Forge.Accounts.Tests;

/// <summary>
/// A directory's sign-in guard put together as the module does, over a clock the test moves, with its warnings
/// recorded and its meter reachable for collectors; a limiter may be carried over from another rig.
/// </summary>
internal sealed class SignInRig : IDisposable
{
    private readonly ServiceProvider meters = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public SignInRig(SignInLimitSettings settings, TimeProvider clock, SignInLimiter? limiter = null)
    {
        Settings = settings;
        Limiter = limiter ?? new SignInLimiter(settings, clock);
        Gate = new VerificationGate(settings);
        InFlight = new InFlightVerifications();
        Warnings = new FakeLogger<SignInTelemetry>();
        Guard = new SignInGuard(settings, Limiter, Gate, InFlight, new SignInTelemetry(MeterFactory, clock, Warnings), clock);
    }

    /// <summary>Small budgets, so that tests reach them with a few PBKDF2s: 3 per account, 5 per address, per minute; no pause.</summary>
    public static SignInLimitSettings Small => SignInLimitSettings.Default with
    {
        PerAccount = 3, PerAddress = 5, Window = TimeSpan.FromMinutes(1), ThrottledPause = TimeSpan.Zero,
    };

    public SignInLimitSettings Settings { get; }
    public SignInLimiter Limiter { get; }
    public VerificationGate Gate { get; }
    public InFlightVerifications InFlight { get; }
    public SignInGuard Guard { get; }
    public FakeLogger<SignInTelemetry> Warnings { get; }
    public IMeterFactory MeterFactory => meters.GetRequiredService<IMeterFactory>();

    public void Dispose() => meters.Dispose();
}
