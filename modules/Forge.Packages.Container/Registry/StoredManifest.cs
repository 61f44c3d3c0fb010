namespace Forge.Packages.Container.Registry;

/// <summary>
/// A manifest as the registry serves it, and the ids of the versions the reference named: by tag, the tag's
/// version; by digest, the version named by it and every version whose manifest has it (a pull counts for each).
/// </summary>
public sealed record StoredManifest(string Digest, string MediaType, long Size, IReadOnlyList<long> VersionIds);
