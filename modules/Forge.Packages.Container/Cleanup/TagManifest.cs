namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// The digest of a tag version's manifest (the <c>container.digest</c> of its <c>manifest.json</c>): a subject that
/// names this digest resolves to the tag, since cosign signs <c>image:tag</c> by that digest.
/// </summary>
public readonly record struct TagManifest(long VersionId, string Digest);
