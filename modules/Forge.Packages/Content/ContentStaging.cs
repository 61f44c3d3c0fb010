using System.Security.Cryptography;

namespace Forge.Packages.Content;

/// <summary>
/// This node's folder for content on its way into the store (<c>Forge:Packages:StorePath</c>): <c>tmp/</c>, where
/// content is streamed and hashed before it is published, and <c>uploads/</c>, the partial bytes of registry upload
/// sessions, one file per session. With the folder store it is the store's own folder, so that publishing is a rename.
/// </summary>
public sealed class ContentStaging(string root)
{
    private const string TemporaryFolder = "tmp";
    private const string UploadsFolder = "uploads";
    private const int BufferSize = 81920;

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The file of an upload session's partial bytes; throws on an id that could leave the folder.</summary>
    public string UploadPathOf(string uploadId)
    {
        if (!ContentKeys.IsUploadId(uploadId))
        {
            throw new ArgumentException($"'{uploadId}' is not an upload id (letters, digits, '-' and '_').", nameof(uploadId));
        }

        return Path.Combine(Root, UploadsFolder, uploadId);
    }

    /// <summary>Streams <paramref name="content"/> into a temporary file, hashing it on the way.</summary>
    public async Task<StagedContent> StageAsync(Stream content, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Root, TemporaryFolder);
        Directory.CreateDirectory(temporary);
        var temporaryFile = Path.Combine(temporary, Path.GetRandomFileName());
        try
        {
            await using var file = new FileStream(temporaryFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[BufferSize];
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

    /// <summary>Files in <c>tmp/</c> (content being staged, or left by a writer that died).</summary>
    public IEnumerable<FileInfo> EnumerateTemporary() => FilesIn(Path.Combine(Root, TemporaryFolder));

    /// <summary>Files in <c>uploads/</c> (partial uploads), named by their session id.</summary>
    public IEnumerable<FileInfo> EnumerateUploads() => FilesIn(Path.Combine(Root, UploadsFolder));

    private static IEnumerable<FileInfo> FilesIn(string folder)
        => Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles() : [];
}
