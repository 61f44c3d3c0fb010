namespace Forge.Packages.Container.Registry;

/// <summary>A blob an image manifest names (its config or a layer): it must already be in the package.</summary>
public sealed record ManifestBlob(string Digest, string MediaType);
