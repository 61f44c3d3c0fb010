namespace Forge.Packages.Container.Registry;

/// <summary>A manifest as the registry serves it.</summary>
public sealed record StoredManifest(string Digest, string MediaType, long Size);
