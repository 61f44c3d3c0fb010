namespace Forge.Packages.Content;

/// <summary>Content written to a local file of <see cref="ContentStaging"/> and hashed, not yet in the store.</summary>
public sealed record StagedContent(string TemporaryPath, string Sha256, long Size);
