namespace Forge.Packages.Container.Registry;

/// <summary>
/// A manifest of a repository that names another as its OCI 1.1 <c>subject</c>, as the shared tables hold it: its digest
/// (lower case), the media type its lead file was pushed with (empty when the row has none), and its size in bytes.
/// </summary>
public sealed record StoredReferrer(string Digest, string MediaType, long Size);
