namespace Forge.Packages.Container.Cleanup;

/// <summary>A <c>container.manifest.reference</c> version property: <paramref name="VersionId"/> references <paramref name="Digest"/>.</summary>
public readonly record struct ReferenceProperty(long VersionId, string Digest);
