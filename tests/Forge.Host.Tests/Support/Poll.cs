using System.Diagnostics;

namespace Forge.Host.Tests.Support;

/// <summary>Waits for what happens in the background (scheduled runs, other processes), never for a set time.</summary>
public static class Poll
{
    /// <summary>Generous, so that a slow shared machine does not fail a test; reaching it is a failure, not a measurement.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads until <paramref name="done"/> holds or the deadline (<see cref="Deadline"/> unless given) passes;
    /// returns the last value read, for the assertion to show.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value) || clock.Elapsed > (deadline ?? Deadline))
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    public static Task<T> UntilAsync<T>(Func<T> read, Func<T, bool> done, TimeSpan? deadline = null)
        => UntilAsync(() => Task.FromResult(read()), done, deadline);
}
