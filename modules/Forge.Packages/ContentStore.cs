using System.Security.Cryptography;

namespace Forge.Packages;

/// <summary>
/// The filesystem store of blob contents, keyed by lower-case SHA-256 hex at
/// <c>&lt;root&gt;/&lt;h[0:2]&gt;/&lt;h[2:4]&gt;/&lt;h&gt;</c>. Writes go to a temporary file in the store and are
/// renamed into place, so a reader never sees a partial blob.
/// </summary>
public sealed class ContentStore
{
    public ContentStore(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Where the blob with this hash lives; throws on anything but 64 lower-case hex digits.</summary>
    public string PathOf(string sha256)
    {
        if (!IsSha256Hex(sha256))
        {
            throw new ArgumentException($"'{sha256}' is not a lower-case SHA-256 hex digest.", nameof(sha256));
        }

        return Path.Combine(Root, sha256[..2], sha256[2..4], sha256);
    }

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    public Stream OpenRead(string sha256) => new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    /// <summary>Streams <paramref name="content"/> into the store and returns its SHA-256 and size.</summary>
    public async Task<(string Sha256, long Size)> SaveAsync(Stream content, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(temporary);
        var temporaryFile = Path.Combine(temporary, Path.GetRandomFileName());
        try
        {
            string hash;
            long size;
            await using (var file = new FileStream(temporaryFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                await file.FlushAsync(cancellationToken);
                size = file.Length;
                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }

            var target = PathOf(hash);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(temporaryFile, target, overwrite: true);
            return (hash, size);
        }
        finally
        {
            File.Delete(temporaryFile);
        }
    }

    /// <summary>Removes a blob's file; returns false when it was not there.</summary>
    public bool Delete(string sha256)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    public static bool IsSha256Hex(string value)
        => value.Length == 64 && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
