namespace Forge.Packages.Content;

/// <summary>
/// The content store in a folder of this node (<c>Forge:Storage:Type</c> <c>local</c>, the default): a blob at
/// <c>&lt;root&gt;/&lt;h[0:2]&gt;/&lt;h[2:4]&gt;/&lt;h&gt;</c>. Content is staged in the same folder
/// (<see cref="ContentStaging"/>), so that publishing it is a rename on one filesystem.
/// </summary>
public sealed class FolderContentStore(string root) : IContentStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public string Description => $"folder {Root}";

    /// <summary>Where the blob with this hash lives; throws on anything but 64 lower-case hex digits.</summary>
    public string PathOf(string sha256) => Path.Combine(Root, ContentKeys.RelativeKeyOf(sha256));

    /// <summary>Whether the blob's file is there.</summary>
    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    public Task<long?> SizeOfAsync(string sha256, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(sha256));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    /// <summary>Unbuffered: the callers read in large pieces.</summary>
    public Task<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream?>(
                new FileStream(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <summary>Never: the node serves what is in its folder.</summary>
    public Task<Uri?> DirectReadUrlAsync(string sha256, CancellationToken cancellationToken)
    {
        ContentKeys.RelativeKeyOf(sha256);
        return Task.FromResult<Uri?>(null);
    }

    public Task PublishAsync(StagedContent staged, CancellationToken cancellationToken)
    {
        var target = PathOf(staged.Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(staged.TemporaryPath, target, overwrite: true);
        return Task.CompletedTask;
    }

    public Task<long?> DeleteAsync(string sha256, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(sha256));
        if (!file.Exists)
        {
            return Task.FromResult<long?>(null);
        }

        var size = file.Length;
        file.Delete();
        return Task.FromResult<long?>(size);
    }

    /// <summary>The files two hex-named folder levels down (not <c>tmp/</c> or <c>uploads/</c>).</summary>
    public async IAsyncEnumerable<StoredContent> EnumerateAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var first in Directory.EnumerateDirectories(Root))
        {
            var firstName = Path.GetFileName(first);
            if (firstName.Length != 2 || !ContentKeys.IsHex(firstName))
            {
                continue;
            }

            foreach (var second in Directory.EnumerateDirectories(first))
            {
                foreach (var file in new DirectoryInfo(second).EnumerateFiles())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (Listed(file) is { } listed)
                    {
                        yield return listed;
                    }
                }
            }
        }
    }

    /// <summary>The file as listed; null when it was removed since the folder was read.</summary>
    private static StoredContent? Listed(FileInfo file)
    {
        try
        {
            return new StoredContent(file.Name, file.Length, file.LastWriteTimeUtc);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
