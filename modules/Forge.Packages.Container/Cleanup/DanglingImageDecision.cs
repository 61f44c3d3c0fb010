namespace Forge.Packages.Container.Cleanup;

/// <summary>What the cleanup decided for a candidate.</summary>
public enum DanglingImageDecision
{
    /// <summary>Doomed: old, nothing reachable references it, and no subject of it is kept.</summary>
    Delete,

    /// <summary>Kept: it, or a version referencing it, is newer than the cutoff.</summary>
    TooYoung,

    /// <summary>Kept: it gained a referrer, or its subject came back, before it could be deleted (rule 8).</summary>
    Spared,

    /// <summary>Kept: it is a referrer (a signature, an SBOM) of a version that is kept, or hangs from one.</summary>
    SubjectAlive,
}
