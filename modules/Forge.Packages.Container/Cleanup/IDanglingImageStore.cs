namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// What the dangling image cleanup reads and deletes in the shared schema. A run holds a deployment-wide
/// lock for its whole life (rule 9); each batch is one transaction (rule 6).
/// </summary>
public interface IDanglingImageStore
{
    /// <summary>
    /// Starts a run, or returns null when another run (any node, CLI or cron) holds the lock; with
    /// <paramref name="waitForLock"/>, waits for that run to end first (up to an hour).
    /// </summary>
    Task<IDanglingImageRun?> TryStartRunAsync(bool waitForLock, CancellationToken cancellationToken);
}
