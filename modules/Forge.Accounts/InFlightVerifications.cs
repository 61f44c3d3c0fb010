namespace Forge.Accounts;

/// <summary>
/// Verifications running now, by their <see cref="VerificationCache.KeyOf"/> key (an HMAC of the name and the secret,
/// never the secret): a call with the same name and secret as one in flight awaits that one's result instead of
/// deriving again, so that a client that opens many connections with one password pays for one PBKDF2. Entries go as
/// their verification ends; what is remembered after that is the <see cref="VerificationCache"/>'s business.
/// </summary>
public sealed class InFlightVerifications
{
    private readonly Dictionary<string, Task<GateOutcome<VerifiedCredential?>>> running = new(StringComparer.Ordinal);
    private readonly Lock joining = new();

    /// <summary>Verifications in flight now.</summary>
    public int Count
    {
        get
        {
            lock (joining)
            {
                return running.Count;
            }
        }
    }

    /// <summary>
    /// The result of the verification in flight under <paramref name="key"/>, or of <paramref name="verify"/> started now.
    /// <paramref name="joined"/> says whether another call's verification was joined.
    /// </summary>
    public Task<GateOutcome<VerifiedCredential?>> RunAsync(string key, Func<Task<GateOutcome<VerifiedCredential?>>> verify, out bool joined)
    {
        TaskCompletionSource<GateOutcome<VerifiedCredential?>> started;
        lock (joining)
        {
            if (running.TryGetValue(key, out var existing))
            {
                joined = true;
                return existing;
            }

            started = new TaskCompletionSource<GateOutcome<VerifiedCredential?>>(TaskCreationOptions.RunContinuationsAsynchronously);
            running[key] = started.Task;
        }

        joined = false;
        _ = CompleteAsync(key, verify, started);
        return started.Task;
    }

    private async Task CompleteAsync(string key, Func<Task<GateOutcome<VerifiedCredential?>>> verify, TaskCompletionSource<GateOutcome<VerifiedCredential?>> started)
    {
        try
        {
            started.SetResult(await verify());
        }
        catch (Exception e)
        {
            started.SetException(e);
        }
        finally
        {
            lock (joining)
            {
                running.Remove(key);
            }
        }
    }
}
