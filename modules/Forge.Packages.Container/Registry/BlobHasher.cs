using System.Security.Cryptography;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// Hashes a blob as its bytes stream past: SHA-256 (its digest, checked against the client's) plus the MD5,
/// SHA-1 and SHA-512 package_blob's columns hold for other package types' clients. Nothing relies on MD5 or
/// SHA-1 for integrity.
/// </summary>
public sealed class BlobHasher : IDisposable
{
#pragma warning disable CA5350, CA5351
    private readonly IncrementalHash sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private readonly IncrementalHash sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
#pragma warning restore CA5350, CA5351

    /// <summary>Bytes hashed so far.</summary>
    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        sha256.AppendData(data);
        md5.AppendData(data);
        sha1.AppendData(data);
        sha512.AppendData(data);
        Length += data.Length;
    }

    /// <summary>The hashes of everything appended so far; the hasher goes on from there.</summary>
    public BlobHashes Finish() => new(
        Convert.ToHexStringLower(sha256.GetCurrentHash()),
        Convert.ToHexStringLower(md5.GetCurrentHash()),
        Convert.ToHexStringLower(sha1.GetCurrentHash()),
        Convert.ToHexStringLower(sha512.GetCurrentHash()),
        Length);

    public void Dispose()
    {
        sha256.Dispose();
        md5.Dispose();
        sha1.Dispose();
        sha512.Dispose();
    }
}
