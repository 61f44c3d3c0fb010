using System.Security.Cryptography;
using Amazon.S3.Model;
using Forge.Packages.Content;
using Forge.Testing;

namespace Forge.Packages.Tests.Content;

/// <summary>
/// A content store of one kind, new and empty, with a folder to stage content in and a way to write an object past
/// the store (as another program would), which is all the contract tests need beyond <see cref="IContentStore"/>.
/// </summary>
public abstract class StoreUnderTest : IAsyncDisposable
{
    protected StoreUnderTest()
    {
        Directory.CreateDirectory(StagingFolder);
    }

    public abstract IContentStore Store { get; }

    /// <summary>A throwaway folder of this test's, where content is staged before it is published.</summary>
    public string StagingFolder { get; } = Path.Combine(Path.GetTempPath(), $"forge-content-test-{Guid.NewGuid():N}");

    /// <summary>The store of <paramref name="kind"/> (<c>s3</c>, or <c>folder</c>); an S3 store lists <paramref name="listPageSize"/> keys a request.</summary>
    public static async Task<StoreUnderTest> CreateAsync(string kind, int listPageSize) => kind switch
    {
        "s3" => await S3StoreUnderTest.CreateAsync(listPageSize),
        "folder" => new FolderStoreUnderTest(),
        _ => throw new ArgumentException($"'{kind}' is not a content store kind under test (s3 or folder).", nameof(kind)),
    };

    /// <summary>Writes <paramref name="content"/> to a local file and hashes it, as staging does.</summary>
    public async Task<StagedContent> StageAsync(byte[] content)
    {
        var path = Path.Combine(StagingFolder, Path.GetRandomFileName());
        await File.WriteAllBytesAsync(path, content);
        return new StagedContent(path, Convert.ToHexStringLower(SHA256.HashData(content)), content.Length);
    }

    /// <summary>Stages and publishes <paramref name="content"/>; returns its hash.</summary>
    public async Task<string> PublishAsync(byte[] content)
    {
        var staged = await StageAsync(content);
        await Store.PublishAsync(staged, CancellationToken.None);
        return staged.Sha256;
    }

    /// <summary>Puts <paramref name="content"/> at <paramref name="relativeKey"/> (<c>xx/yy/name</c>) without the store.</summary>
    public abstract Task WriteForeignAsync(string relativeKey, byte[] content);

    public virtual ValueTask DisposeAsync()
    {
        Directory.Delete(StagingFolder, recursive: true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An <see cref="S3ContentStore"/> over a new bucket of the shared <see cref="S3TestServer"/>.</summary>
public sealed class S3StoreUnderTest : StoreUnderTest
{
    private readonly S3ContentStore store;

    private S3StoreUnderTest(S3StorageSettings settings, int listPageSize)
    {
        Settings = settings;
        store = new S3ContentStore(settings, listPageSize);
    }

    public S3StorageSettings Settings { get; }

    public override IContentStore Store => store;

    public static async Task<S3StoreUnderTest> CreateAsync(int listPageSize)
        => new(await (await S3TestServer.SharedAsync()).CreateBucketAsync(), listPageSize);

    /// <summary>Writes an object at exactly <paramref name="key"/> of the bucket, prefix or not.</summary>
    public async Task PutObjectAsync(string key, byte[] content)
    {
        using var client = S3ContentStore.ClientFor(Settings);
        using var body = new MemoryStream(content);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = Settings.Bucket, Key = key, InputStream = body, UseChunkEncoding = false });
    }

    public override Task WriteForeignAsync(string relativeKey, byte[] content) => PutObjectAsync(Settings.KeyPrefix + relativeKey, content);

    public override ValueTask DisposeAsync()
    {
        store.Dispose();
        return base.DisposeAsync();
    }
}

/// <summary>A <see cref="FolderContentStore"/> in a new folder.</summary>
public sealed class FolderStoreUnderTest : StoreUnderTest
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"forge-content-store-{Guid.NewGuid():N}");

    public FolderStoreUnderTest()
    {
        Store = new FolderContentStore(root);
    }

    public override IContentStore Store { get; }

    public override async Task WriteForeignAsync(string relativeKey, byte[] content)
    {
        var path = Path.Combine(root, relativeKey);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, content);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        await base.DisposeAsync();
    }
}
