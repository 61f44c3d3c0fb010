namespace Forge.Packages.Container.Registry;

/// <summary>What a push created: the version, the manifest's digest and size, and the digest of its OCI 1.1 subject, if it names one.</summary>
public sealed record PushedManifest(long VersionId, string Digest, long Size, string? Subject = null);
