namespace Forge.Accounts;

/// <summary>Why a sign-in was throttled, as the <c>reason</c> tag of the throttled counter names it.</summary>
public enum SignInThrottleReason
{
    /// <summary>Too many failed verifications for the account (or the unknown name).</summary>
    Account,

    /// <summary>Too many failed verifications from the client's address (its /64 for IPv6).</summary>
    Address,

    /// <summary>Too many verifications waiting for a PBKDF2 slot.</summary>
    Busy,
}

/// <summary>
/// A try the <see cref="SignInLimiter"/> let through: it holds one try of the account's and of the address's
/// budgets until the verification ends. <see cref="Suspect"/>: either had failed recently before this try.
/// </summary>
public sealed record SignInReservation(string LowerName, string AddressKey, bool Suspect);

/// <summary>A try the limiter refused: which budget is spent and when the next try is allowed.</summary>
public sealed record SignInRefusal(SignInThrottleReason Reason, TimeSpan RetryAfter);

/// <summary>
/// Counts failed verifications per account (the lower name, whether or not an account has it) and per client address
/// (<see cref="ClientAddressKey"/>), in this process's memory: each node of a cluster counts its own. A try takes one
/// from both budgets before it is verified (so that concurrent tries cannot overrun them) and gets it back unless the
/// verification failed. Past either budget a try is refused with the time until the budget allows one again.
/// </summary>
public sealed class SignInLimiter
{
    private readonly TimeProvider time;
    private readonly FailureBuckets accounts;
    private readonly FailureBuckets addresses;
    private readonly Lock counting = new();

    public SignInLimiter(SignInLimitSettings settings, TimeProvider time)
    {
        this.time = time;
        accounts = new FailureBuckets(settings.PerAccount, settings.Window, settings.MaxTrackedKeys);
        addresses = new FailureBuckets(settings.PerAddress, settings.Window, settings.MaxTrackedKeys);
    }

    /// <summary>The accounts and addresses with recent failures that this process keeps (each at most the setting's cap).</summary>
    public (int Accounts, int Addresses) TrackedKeys
    {
        get
        {
            lock (counting)
            {
                return (accounts.Count, addresses.Count);
            }
        }
    }

    /// <summary>Takes a try for <paramref name="lowerName"/> from <paramref name="clientAddress"/>, or says why not.</summary>
    public (SignInReservation? Reservation, SignInRefusal? Refusal) Reserve(string lowerName, string clientAddress)
    {
        var addressKey = ClientAddressKey.Of(clientAddress);
        var now = time.GetUtcNow();
        lock (counting)
        {
            var accountWait = accounts.Wait(lowerName, now);
            var addressWait = addresses.Wait(addressKey, now);
            if (accountWait > TimeSpan.Zero || addressWait > TimeSpan.Zero)
            {
                return accountWait > addressWait
                    ? (null, new SignInRefusal(SignInThrottleReason.Account, accountWait))
                    : (null, new SignInRefusal(SignInThrottleReason.Address, addressWait));
            }

            var suspect = accounts.HasFailures(lowerName, now) || addresses.HasFailures(addressKey, now);
            accounts.Take(lowerName, now);
            addresses.Take(addressKey, now);
            return (new SignInReservation(lowerName, addressKey, suspect), null);
        }
    }

    /// <summary>Gives back the try of a verification that succeeded or never ran: only failures count.</summary>
    public void Release(SignInReservation reservation)
    {
        var now = time.GetUtcNow();
        lock (counting)
        {
            accounts.Give(reservation.LowerName, now);
            addresses.Give(reservation.AddressKey, now);
        }
    }
}
