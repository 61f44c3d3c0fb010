namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// A version whose manifest has the digest <paramref name="Digest"/> (by its name, or by its <c>manifest.json</c>), as a
/// batch's re-check finds it: a referrer naming that digest as its subject lives while this version does.
/// </summary>
public readonly record struct SubjectHolder(long VersionId, long PackageId, string Digest, long CreatedUnix);
