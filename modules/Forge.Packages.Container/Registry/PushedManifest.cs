namespace Forge.Packages.Container.Registry;

/// <summary>What a push created: the version and the manifest's digest and size.</summary>
public sealed record PushedManifest(long VersionId, string Digest, long Size);
