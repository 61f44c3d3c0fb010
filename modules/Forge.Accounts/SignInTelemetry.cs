using System.Diagnostics.Metrics;
using Forge.Modularity;
using Microsoft.Extensions.Logging;

namespace Forge.Accounts;

/// <summary>
/// The sign-in limiter's metrics on the module's Meter, and its warnings: one when a limit starts refusing, at most
/// once per <see cref="WarningInterval"/> for each kind of limit (account, address, busy). A warning names the
/// client's address and, for the account limit, the account only when one has that name ("an unknown name"
/// otherwise: a password typed into the name field is still a password); never a secret.
/// </summary>
public sealed partial class SignInTelemetry
{
    public static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider time;
    private readonly ILogger<SignInTelemetry> logger;
    private readonly Counter<long> throttled;
    private readonly Counter<long> failures;
    private readonly Counter<long> shared;
    private readonly Histogram<double> duration;
    private readonly Histogram<double> gateWait;
    private readonly long[] lastWarnings = new long[Enum.GetValues<SignInThrottleReason>().Length];

    public SignInTelemetry(IMeterFactory meters, TimeProvider time, ILogger<SignInTelemetry> logger)
    {
        this.time = time;
        this.logger = logger;
        Array.Fill(lastWarnings, long.MinValue);
        var meter = meters.Create(AccountsModule.TelemetryName);
        throttled = meter.CreateCounter<long>("forge.accounts.signin.throttled", "{verification}", "Verifications refused without checking the secret, by reason (account, address, busy).");
        failures = meter.CreateCounter<long>("forge.accounts.signin.failures", "{verification}", "Verifications that checked the secret and failed (unknown name or wrong secret).");
        shared = meter.CreateCounter<long>("forge.accounts.signin.shared", "{verification}", "Verifications answered by an identical one in flight instead of deriving again.");
        duration = meter.CreateHistogram<double>("forge.accounts.signin.verification.duration", "s", "Time of the verifications that checked a secret (PBKDF2), the wait for a slot not included.");
        gateWait = meter.CreateHistogram<double>("forge.accounts.signin.gate.wait", "s", "Time verifications waited for a PBKDF2 slot.");
        foreach (var reason in Enum.GetValues<SignInThrottleReason>())
        {
            throttled.Add(0, Reason(reason));
        }

        failures.Add(0);
    }

    /// <summary>Counts a throttled verification and warns when this kind of limit has not warned for a while.</summary>
    public void Throttled(SignInThrottleReason reason, TimeSpan retryAfter, string clientAddress, string? existingAccount, int waiting)
    {
        throttled.Add(1, Reason(reason));
        if (!ShouldWarn(reason))
        {
            return;
        }

        var seconds = RetryAfterSeconds.Format(retryAfter);
        switch (reason)
        {
            case SignInThrottleReason.Account:
                LogAccountLimit(existingAccount is null ? "an unknown name" : $"account {existingAccount}", clientAddress, seconds);
                break;
            case SignInThrottleReason.Address:
                LogAddressLimit(clientAddress, seconds);
                break;
            default:
                LogBusy(clientAddress, waiting);
                break;
        }
    }

    public void Failed() => failures.Add(1);

    public void Shared() => shared.Add(1);

    public void Waited(TimeSpan waited) => gateWait.Record(waited.TotalSeconds);

    public void Verified(TimeSpan took) => duration.Record(took.TotalSeconds);

    private bool ShouldWarn(SignInThrottleReason reason)
    {
        var now = time.GetUtcNow().UtcTicks;
        ref var last = ref lastWarnings[(int)reason];
        var seen = Interlocked.Read(ref last);
        return (seen == long.MinValue || now - seen >= WarningInterval.Ticks) && Interlocked.CompareExchange(ref last, now, seen) == seen;
    }

    private static KeyValuePair<string, object?> Reason(SignInThrottleReason reason)
        => new("reason", reason.ToString().ToLowerInvariant());

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Sign-in limit: too many failed sign-ins for {Account}; refusing them (this one from {Address}) for {RetryAfterSeconds} s without verifying. Further refusals by the account limit are not logged for a minute")]
    private partial void LogAccountLimit(string account, string address, string retryAfterSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Sign-in limit: too many failed sign-ins from {Address}; refusing its sign-ins for {RetryAfterSeconds} s without verifying. Further refusals by the address limit are not logged for a minute")]
    private partial void LogAddressLimit(string address, string retryAfterSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Sign-in limit: password verification is busy ({Waiting} waiting); refused a sign-in from {Address}. Further busy refusals are not logged for a minute")]
    private partial void LogBusy(string address, int waiting);
}
