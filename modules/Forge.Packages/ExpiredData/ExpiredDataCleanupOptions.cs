namespace Forge.Packages.ExpiredData;

/// <summary>How a run of the expired-data cleanup is asked for.</summary>
/// <param name="OlderThan">Only what is older than this goes.</param>
/// <param name="DryRun">Count, remove nothing.</param>
/// <param name="WaitForLock">Wait for a run in progress to end instead of skipping.</param>
public sealed record ExpiredDataCleanupOptions(TimeSpan OlderThan, bool DryRun, bool WaitForLock = false);
