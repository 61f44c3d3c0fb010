namespace Forge.Packages.Container.Cleanup;

/// <summary>Where a run is: container versions read so far, batches done.</summary>
public readonly record struct DanglingImageCleanupProgress(long VersionsRead, int Batches);
