using System.Diagnostics;

namespace Forge.Accounts;

/// <summary>What the gate did with a piece of work: ran it (with its result and how long it waited), or refused it as busy.</summary>
public readonly record struct GateOutcome<T>(bool Ran, T? Result, TimeSpan Waited);

/// <summary>
/// Bounds the CPU that password verification may take: at most <c>maxConcurrent</c> pieces of work (PBKDF2
/// derivations) run at once; the others wait in two queues, and a freed slot goes to the first waiter of the
/// <em>clean</em> queue before any of the <em>suspect</em> one (work for an account or address with recent failures),
/// so that first logins of other accounts do not queue behind a flood of wrong passwords. The clean queue holds at
/// most <c>maxQueued</c> waiters, the suspect queue a quarter of that (at least one); work that finds its queue full is
/// refused at once instead of waiting for ever.
/// </summary>
public sealed class VerificationGate
{
    private readonly int maxConcurrent;
    private readonly int maxCleanQueue;
    private readonly int maxSuspectQueue;
    private readonly Queue<TaskCompletionSource> clean = new();
    private readonly Queue<TaskCompletionSource> suspect = new();
    private readonly Lock admitting = new();
    private int running;
    private long ran;

    public VerificationGate(int maxConcurrent, int maxQueued)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        this.maxConcurrent = maxConcurrent;
        maxCleanQueue = maxQueued;
        maxSuspectQueue = Math.Max(1, maxQueued / 4);
    }

    public VerificationGate(SignInLimitSettings settings)
        : this(settings.MaxConcurrentDerivations, settings.MaxQueuedDerivations)
    {
    }

    /// <summary>Work that has run (or is running) through the gate since it was made.</summary>
    public long Ran => Interlocked.Read(ref ran);

    /// <summary>Work running now, and waiting now.</summary>
    public (int Running, int Waiting) Load
    {
        get
        {
            lock (admitting)
            {
                return (running, clean.Count + suspect.Count);
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> when a slot is free; refuses it when its queue is full.</summary>
    public async Task<GateOutcome<T>> RunAsync<T>(bool isSuspect, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        TaskCompletionSource? turn = null;
        lock (admitting)
        {
            if (running < maxConcurrent)
            {
                running++;
            }
            else
            {
                var queue = isSuspect ? suspect : clean;
                if (queue.Count >= (isSuspect ? maxSuspectQueue : maxCleanQueue))
                {
                    return new GateOutcome<T>(false, default, TimeSpan.Zero);
                }

                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                queue.Enqueue(turn);
            }
        }

        if (turn is not null)
        {
            // A slot is handed over with the running count unchanged (see Leave).
            await turn.Task;
        }

        var waited = clock.Elapsed;
        try
        {
            Interlocked.Increment(ref ran);
            return new GateOutcome<T>(true, work(), waited);
        }
        finally
        {
            Leave();
        }
    }

    private void Leave()
    {
        TaskCompletionSource? next;
        lock (admitting)
        {
            if (!clean.TryDequeue(out next) && !suspect.TryDequeue(out next))
            {
                running--;
            }
        }

        next?.SetResult();
    }
}
