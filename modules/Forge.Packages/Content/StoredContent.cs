namespace Forge.Packages.Content;

/// <summary>A content object as the store lists it: its name (a hash, unless something else wrote it), size and last write.</summary>
public sealed record StoredContent(string Name, long Size, DateTimeOffset LastModified);
