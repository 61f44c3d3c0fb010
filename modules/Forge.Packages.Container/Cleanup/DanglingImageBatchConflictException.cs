namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// A batch crossed a concurrent writer's locks and the database ended it (a deadlock, or a serialization failure):
/// nothing of it was committed, and the cleanup does it again. Its message is the database's.
/// </summary>
public sealed class DanglingImageBatchConflictException(string reason, Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>What the database said ended the batch (its SQLSTATE), for the log.</summary>
    public string Reason { get; } = reason;
}
