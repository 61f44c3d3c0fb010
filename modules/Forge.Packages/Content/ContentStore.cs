using System.Security.Cryptography;

namespace Forge.Packages.Content;

/// <summary>
/// The filesystem store of blob contents, keyed by lower-case SHA-256 hex at
/// <c>&lt;root&gt;/&lt;h[0:2]&gt;/&lt;h[2:4]&gt;/&lt;h&gt;</c>. Content is streamed into <c>tmp/</c>, hashed on the way,
/// and renamed into place, so a reader never sees a partial blob. Partial uploads live in <c>uploads/</c>.
/// </summary>
public sealed class ContentStore
{
    private const string TemporaryFolder = "tmp";
    private const string UploadsFolder = "uploads";

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

    /// <summary>The file of an upload session's partial bytes; throws on an id that could leave the folder.</summary>
    public string UploadPathOf(string uploadId)
    {
        if (uploadId.Length is 0 or > 255 || !uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"'{uploadId}' is not an upload id (letters, digits, '-' and '_').", nameof(uploadId));
        }

        return Path.Combine(Root, UploadsFolder, uploadId);
    }

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>
    /// Opens a blob's content for reading, unbuffered (the caller reads in large pieces); null when the file is not
    /// there, for instance removed by the expired-data cleanup since its row was read.
    /// </summary>
    public FileStream? OpenRead(string sha256)
    {
        try
        {
            return new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Streams <paramref name="content"/> into the store and returns its SHA-256 and size.</summary>
    public async Task<(string Sha256, long Size)> SaveAsync(Stream content, CancellationToken cancellationToken)
    {
        var staged = await StageAsync(content, cancellationToken);
        Publish(staged);
        return (staged.Sha256, staged.Size);
    }

    /// <summary>Streams <paramref name="content"/> into a temporary file, hashing it on the way.</summary>
    public async Task<StagedContent> StageAsync(Stream content, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Root, TemporaryFolder);
        Directory.CreateDirectory(temporary);
        var temporaryFile = Path.Combine(temporary, Path.GetRandomFileName());
        try
        {
            await using var file = new FileStream(temporaryFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            await file.FlushAsync(cancellationToken);
            return new StagedContent(temporaryFile, Convert.ToHexStringLower(sha.GetHashAndReset()), file.Length);
        }
        catch
        {
            File.Delete(temporaryFile);
            throw;
        }
    }

    /// <summary>
    /// Moves staged content into place. A writer that records the blob in package_blob does this while it
    /// holds the blob's content lock (<see cref="BlobContentLock"/>), so that the expired-data cleanup never
    /// removes a file that a row it cannot see yet is about to name.
    /// </summary>
    public void Publish(StagedContent staged)
    {
        var target = PathOf(staged.Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(staged.TemporaryPath, target, overwrite: true);
    }

    /// <summary>Removes a blob's file; returns the bytes freed, or null when it was not there.</summary>
    public long? Delete(string sha256)
    {
        var file = new FileInfo(PathOf(sha256));
        if (!file.Exists)
        {
            return null;
        }

        var size = file.Length;
        file.Delete();
        return size;
    }

    /// <summary>Every content file in the store (not the temporary or upload folders), with its hash as named.</summary>
    public IEnumerable<(string Sha256, FileInfo File)> EnumerateContent()
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var first in Directory.EnumerateDirectories(Root))
        {
            var firstName = Path.GetFileName(first);
            if (firstName.Length != 2 || !IsHex(firstName))
            {
                continue;
            }

            foreach (var second in Directory.EnumerateDirectories(first))
            {
                foreach (var path in Directory.EnumerateFiles(second))
                {
                    var name = Path.GetFileName(path);
                    yield return (name, new FileInfo(path));
                }
            }
        }
    }

    /// <summary>Files in <c>tmp/</c> (content being staged, or left by a writer that died).</summary>
    public IEnumerable<FileInfo> EnumerateTemporary() => FilesIn(Path.Combine(Root, TemporaryFolder));

    /// <summary>Files in <c>uploads/</c> (partial uploads), named by their session id.</summary>
    public IEnumerable<FileInfo> EnumerateUploads() => FilesIn(Path.Combine(Root, UploadsFolder));

    private static IEnumerable<FileInfo> FilesIn(string folder)
        => Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles() : [];

    /// <summary>Whether the file's bytes hash to the name it is stored under.</summary>
    public static async Task<bool> MatchesItsNameAsync(string sha256, FileInfo file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash) == sha256;
    }

    public static bool IsSha256Hex(string value) => value.Length == 64 && IsHex(value);

    private static bool IsHex(string value) => value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
