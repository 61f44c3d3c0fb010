namespace Forge.Packages.Container.Tests.Unit;

internal static class AsyncSequence
{
    /// <summary>Streams the items as a repository's reader would, one await at a time.</summary>
    public static async IAsyncEnumerable<T> From<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }
}
