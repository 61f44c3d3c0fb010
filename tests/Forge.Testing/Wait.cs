using NUnit.Framework;

namespace Forge.Testing;

/// <summary>Waiting for something another task or process does; never a timing assertion.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds, failing the test after 30 s.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("The condition was not met within 30 s.");
            }

            await Task.Delay(20);
        }
    }
}
