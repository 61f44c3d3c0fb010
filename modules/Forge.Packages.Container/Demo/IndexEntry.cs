namespace Forge.Packages.Container.Demo;

/// <summary>A platform manifest that a synthetic image index names.</summary>
public sealed record IndexEntry(string Digest, string Platform);
