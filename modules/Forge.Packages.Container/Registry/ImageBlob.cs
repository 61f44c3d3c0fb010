namespace Forge.Packages.Container.Registry;

/// <summary>Content that a push brings with its manifest and that is stored with it (a synthetic image's config or a layer).</summary>
public sealed record ImageBlob(byte[] Content, string MediaType);
