namespace Forge.Packages.Container.Cleanup;

/// <summary>What the cleanup decided for an unreferenced digest version.</summary>
public enum DanglingImageDecision
{
    /// <summary>Doomed: old, and nothing reachable references it.</summary>
    Delete,

    /// <summary>Kept: it, or a version referencing it, is newer than the cutoff.</summary>
    TooYoung,

    /// <summary>Kept: it gained a referrer before it could be deleted (rule 8).</summary>
    Spared,
}
