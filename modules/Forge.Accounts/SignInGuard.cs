using System.Diagnostics;

namespace Forge.Accounts;

/// <summary>
/// One try to verify a secret that is not remembered: the cache key of the name and the secret (an HMAC), the name as
/// <c>lower_name</c> holds it, the client's address, and the account's name when an account has that name (for logs).
/// </summary>
public sealed record SignInAttempt(string Key, string LowerName, string ClientAddress, string? ExistingAccount);

/// <summary>
/// What stands between a sign-in and its expensive verification: the <see cref="SignInLimiter"/> (past a budget the
/// answer is Throttled and nothing is derived), the <see cref="InFlightVerifications"/> (identical tries share one
/// verification) and the <see cref="VerificationGate"/> (a bounded number of derivations at once, suspects last,
/// Throttled when the queue is full). With <see cref="SignInLimitSettings.Enabled"/> false only the sharing is left.
/// </summary>
public sealed class SignInGuard(
    SignInLimitSettings settings, SignInLimiter limiter, VerificationGate gate, InFlightVerifications inFlight, SignInTelemetry telemetry, TimeProvider time)
{
    /// <summary>The Retry-After of a try refused because too many verifications wait.</summary>
    public static readonly TimeSpan BusyRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Verifies <paramref name="attempt"/> with <paramref name="verify"/> (the derivation: the credential, or null when
    /// the secret is wrong) unless a limit refuses it first.
    /// </summary>
    public async Task<CredentialVerification> VerifyAsync(SignInAttempt attempt, Func<VerifiedCredential?> verify, CancellationToken cancellationToken)
    {
        if (!settings.Enabled)
        {
            return Answer(await Share(attempt, () => Task.FromResult(new GateOutcome<VerifiedCredential?>(true, Timed(verify), TimeSpan.Zero))).WaitAsync(cancellationToken));
        }

        var (reservation, refusal) = limiter.Reserve(attempt.LowerName, attempt.ClientAddress);
        if (reservation is null)
        {
            telemetry.Throttled(refusal!.Reason, refusal.RetryAfter, attempt.ClientAddress, attempt.ExistingAccount, 0);
            return await ThrottledAsync(refusal.RetryAfter, cancellationToken);
        }

        var running = Share(attempt, () => GatedAsync(reservation.Suspect, verify));
        GateOutcome<VerifiedCredential?> outcome;
        try
        {
            outcome = await running.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The verification goes on without this caller: its try is given back only if it does not fail, so that a
            // client cannot hide its guesses from the budgets by hanging up before the answer.
            _ = running.ContinueWith(
                done => ReleaseUnlessFailed(reservation, done), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        catch
        {
            limiter.Release(reservation);
            throw;
        }

        if (!outcome.Ran)
        {
            limiter.Release(reservation);
            telemetry.Throttled(SignInThrottleReason.Busy, BusyRetryAfter, attempt.ClientAddress, attempt.ExistingAccount, gate.Load.Waiting);
            return await ThrottledAsync(BusyRetryAfter, cancellationToken);
        }

        var answer = Answer(outcome);
        if (answer.Outcome != VerificationOutcome.Refused)
        {
            limiter.Release(reservation);
        }

        return answer;
    }

    /// <summary>Throttled after the pause (no thread held): a client that asks again at once gets an answer a second, not thousands.</summary>
    private async Task<CredentialVerification> ThrottledAsync(TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var pause = retryAfter < settings.ThrottledPause ? retryAfter : settings.ThrottledPause;
        if (pause > TimeSpan.Zero)
        {
            await Task.Delay(pause, time, cancellationToken);
        }

        return CredentialVerification.Throttled(retryAfter);
    }

    private void ReleaseUnlessFailed(SignInReservation reservation, Task<GateOutcome<VerifiedCredential?>> verification)
    {
        if (!verification.IsCompletedSuccessfully || !verification.Result.Ran || verification.Result.Result is not null)
        {
            limiter.Release(reservation);
        }
    }

    private Task<GateOutcome<VerifiedCredential?>> Share(SignInAttempt attempt, Func<Task<GateOutcome<VerifiedCredential?>>> verify)
    {
        var running = inFlight.RunAsync(attempt.Key, verify, out var joined);
        if (joined)
        {
            telemetry.Shared();
        }

        return running;
    }

    private async Task<GateOutcome<VerifiedCredential?>> GatedAsync(bool suspect, Func<VerifiedCredential?> verify)
    {
        var outcome = await gate.RunAsync(suspect, () => Timed(verify));
        if (outcome.Ran)
        {
            telemetry.Waited(outcome.Waited);
        }

        return outcome;
    }

    private VerifiedCredential? Timed(Func<VerifiedCredential?> verify)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return verify();
        }
        finally
        {
            telemetry.Verified(clock.Elapsed);
        }
    }

    private CredentialVerification Answer(GateOutcome<VerifiedCredential?> outcome)
    {
        if (outcome.Result is { } credential)
        {
            return CredentialVerification.Verified(credential);
        }

        telemetry.Failed();
        return CredentialVerification.Refused;
    }
}
