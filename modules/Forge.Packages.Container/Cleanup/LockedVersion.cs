namespace Forge.Packages.Container.Cleanup;

/// <summary>A candidate as its batch found and locked it.</summary>
public readonly record struct LockedVersion(long Id, string LowerVersion, long CreatedUnix);
