namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// A <c>container.manifest.subject</c> version property: <paramref name="VersionId"/> is a referrer (a signature, an
/// SBOM, an attestation) of the manifest with digest <paramref name="Digest"/>.
/// </summary>
public readonly record struct SubjectProperty(long VersionId, string Digest);
