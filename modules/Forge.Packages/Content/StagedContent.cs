namespace Forge.Packages.Content;

/// <summary>Content written to the store's temporary folder and hashed, not yet in place.</summary>
public sealed record StagedContent(string TemporaryPath, string Sha256, long Size);
