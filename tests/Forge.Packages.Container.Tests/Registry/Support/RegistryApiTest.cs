using Forge.Accounts;
using Forge.Packages.Content;
using Forge.Testing;

namespace Forge.Packages.Container.Tests.Registry.Support;

/// <summary>
/// A registry started for each test, with the account alice (password <c>pw</c>) and a client sending her
/// credentials; and what the tests read from the rows and files the registry leaves behind. On the folder store, or
/// with <paramref name="storage"/> <c>s3</c> on a bucket of the test S3 server.
/// </summary>
public abstract class RegistryApiTest(string storage = "local")
{
    protected const string App = "alice/app";

    protected RegistryWorld Registry { get; private set; } = null!;

    protected Account Alice { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>Settings of the registry each test starts, beyond the test world's own.</summary>
    protected virtual (string Key, string? Value)[] Settings => [];

    [SetUp]
    public async Task StartRegistry()
    {
        Registry = await RegistryWorld.StartAsync([.. await StorageSettingsUnderTest.ForAsync(storage), .. Settings]);
        Alice = await Registry.AddAccountAsync("alice", "pw");
        Client = Registry.Client("alice", "pw");
    }

    [TearDown]
    public async Task StopRegistry()
    {
        Client.Dispose();
        await Registry.DisposeAsync();
    }

    protected string ContentPath(string digestOrHex)
    {
        var hex = digestOrHex.StartsWith("sha256:", StringComparison.Ordinal) ? digestOrHex["sha256:".Length..] : digestOrHex;
        return Path.Combine(Registry.World.StorePath, hex[..2], hex[2..4], hex);
    }

    /// <summary>The content store the registry runs on: <c>local</c> or <c>s3</c>.</summary>
    protected string Storage => storage;

    /// <summary>Whether the content store has the blob, whichever store it is.</summary>
    protected bool HasContent(string digestOrHex)
        => Registry.World.HasContent(digestOrHex.StartsWith("sha256:", StringComparison.Ordinal) ? digestOrHex["sha256:".Length..] : digestOrHex);

    /// <summary>The blob's bytes as the content store holds them.</summary>
    protected async Task<byte[]> ReadContentAsync(string digestOrHex)
    {
        var hex = digestOrHex.StartsWith("sha256:", StringComparison.Ordinal) ? digestOrHex["sha256:".Length..] : digestOrHex;
        await using var content = await Registry.World.Service<IContentStore>().OpenReadAsync(hex, CancellationToken.None);
        Assert.That(content, Is.Not.Null, $"the content store has {hex}");
        using var copy = new MemoryStream();
        await content!.CopyToAsync(copy);
        return copy.ToArray();
    }

    protected string UploadFolder => Path.Combine(Registry.World.StorePath, "uploads");

    protected string[] UploadFiles => Directory.Exists(UploadFolder) ? Directory.GetFiles(UploadFolder) : [];

    /// <summary>The blob's bytes are in the content store under its sha256, and no upload session is left.</summary>
    protected async Task AssertStoredWithNoSessionLeftAsync(byte[] blob)
    {
        Assert.That(await ReadContentAsync(RegistryCalls.Digest(blob)), Is.EqualTo(blob));
        await AssertNoSessionLeftAsync();
    }

    /// <summary>No package_blob_upload row, no file under uploads/ and no upload chunk kept in the bucket.</summary>
    protected async Task AssertNoSessionLeftAsync()
    {
        Assert.That(await SessionsAsync(), Is.Zero);
        Assert.That(UploadFiles, Is.Empty);
        Assert.That(await Registry.World.Service<IUploadChunkStore>().EnumerateSessionsAsync(CancellationToken.None).CountAsync(), Is.Zero);
    }

    protected Task<long> SessionsAsync() => Registry.World.CountAsync("SELECT count(*) FROM package_blob_upload");

    protected Task<long> BlobRowsAsync(string digest)
        => Registry.World.CountAsync("SELECT count(*) FROM package_blob WHERE hash_sha256 = $1", digest["sha256:".Length..]);

    /// <summary>The versions of a package of alice's, by name, that clients can see (not <c>_upload</c>).</summary>
    protected async Task<long> VersionsAsync(string image = "app")
        => await Registry.World.CountAsync("""
            SELECT count(*) FROM package_version v JOIN package p ON p.id = v.package_id
            WHERE p.owner_id = $1 AND p.lower_name = $2 AND NOT v.is_internal
            """, Alice.Id, image);

    protected async Task<long?> VersionIdAsync(string version, string image = "app")
        => await Registry.World.ScalarAsync<long?>("""
            SELECT v.id FROM package_version v JOIN package p ON p.id = v.package_id
            WHERE p.owner_id = $1 AND p.lower_name = $2 AND v.lower_version = lower($3)
            """, Alice.Id, image, version);
}
