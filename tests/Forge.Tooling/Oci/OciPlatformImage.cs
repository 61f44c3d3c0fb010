namespace Forge.Tooling.Oci;

/// <summary>One platform's image manifest with its config and layers.</summary>
public sealed record OciPlatformImage(OciPlatform Platform, OciDescriptor Manifest, OciDescriptor Config, IReadOnlyList<OciDescriptor> Layers);
