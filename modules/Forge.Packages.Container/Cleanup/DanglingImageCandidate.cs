namespace Forge.Packages.Container.Cleanup;

/// <summary>A digest version that no tag version reaches.</summary>
public sealed record DanglingImageCandidate(long VersionId, long PackageId, string PackageName, string Digest, long CreatedUnix)
{
    public DanglingImageDecision Decision { get; set; }
}
