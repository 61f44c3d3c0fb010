using NUnit.Framework;

namespace Forge.Testing;

/// <summary>Waiting for something another task or process does; never a timing assertion.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds, failing the test after 30 s.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition) => UntilAsync(condition, TimeSpan.FromSeconds(30));

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds, failing the test after <paramref name="deadline"/>: longer than
    /// 30 s for what a child process must first start up for, on a machine that may be busy.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var end = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > end)
            {
                Assert.Fail($"The condition was not met within {deadline.TotalSeconds:0} s.");
            }

            await Task.Delay(20);
        }
    }
}
