namespace Forge.Packages.ExpiredData;

/// <summary>
/// Test seams at the moments a crash or a race matters. Not registered by the module: a test registers an
/// instance as a singleton, and the cleanup calls it; in production the cleanup has none.
/// </summary>
public sealed class ExpiredDataCleanupHooks
{
    /// <summary>Called with a batch of orphaned blob ids before they are locked.</summary>
    public Func<IReadOnlyList<long>, Task>? BeforeBlobLock { get; set; }

    /// <summary>Called with a blob's hash after its row's deletion committed, before its file is removed.</summary>
    public Func<string, Task>? BeforeContentRemoval { get; set; }

    /// <summary>Called just before a content file is deleted, under its lock; an IOException here is a failed removal.</summary>
    public Action<string>? RemoveContent { get; set; }
}
