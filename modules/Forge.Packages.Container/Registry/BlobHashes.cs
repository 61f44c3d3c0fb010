namespace Forge.Packages.Container.Registry;

/// <summary>The four hashes package_blob records for a blob, and its size.</summary>
public sealed record BlobHashes(string Sha256, string Md5, string Sha1, string Sha512, long Size)
{
    public string Digest => RegistryReferences.DigestOf(Sha256);

    public static BlobHashes Of(byte[] content)
    {
        using var hasher = new BlobHasher();
        hasher.Append(content);
        return hasher.Finish();
    }
}
