namespace Forge.Tooling.Oci;

/// <summary>A blob as a manifest or an index names it.</summary>
public sealed record OciDescriptor(string MediaType, string Digest, long Size);
