using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3.Model;
using Forge.Packages.Content;
using Forge.Testing;

namespace Forge.Packages.Tests.Content;

/// <summary>
/// What the S3 content store does beyond the contract (<see cref="ContentStoreContractTests"/>): Forgejo's keys,
/// uploads in parts, what it lists and does not, and its errors, which name the bucket and never the secret key.
/// </summary>
public sealed class S3ContentStoreTests
{
    private const string WrongSecret = "wrong-secret-Zq8vXk2pLw";
    private static readonly CancellationToken None = CancellationToken.None;

    private S3StoreUnderTest under = null!;

    [SetUp]
    public async Task CreateStore() => under = await S3StoreUnderTest.CreateAsync(listPageSize: 1000);

    [TearDown]
    public async Task DropStore() => await under.DisposeAsync();

    [Test]
    public async Task Content_is_stored_under_Forgejo_s_key_in_the_bucket()
    {
        var sha256 = await under.PublishAsync([1, 2, 3]);

        using var client = S3ContentStore.ClientFor(under.Settings);
        var head = await client.GetObjectMetadataAsync(under.Settings.Bucket, $"packages/{sha256[..2]}/{sha256[2..4]}/{sha256}");

        Assert.That(head.ContentLength, Is.EqualTo(3));
    }

    [Test]
    public async Task Content_of_20_MiB_goes_up_in_three_parts_and_reads_back_byte_for_byte()
    {
        var content = RandomNumberGenerator.GetBytes(20 << 20);
        var staged = await under.StageAsync(content);
        var client = S3ContentStore.ClientFor(under.Settings);
        var requests = new List<string>();
        client.BeforeRequestEvent += (_, e) => requests.Add(((WebServiceRequestEventArgs)e).Request.GetType().Name);
        using var store = new S3ContentStore(under.Settings, client);

        await store.PublishAsync(staged, None);

        await using var read = await store.OpenReadAsync(staged.Sha256, None);
        var back = new MemoryStream();
        await read!.CopyToAsync(back);
        Assert.Multiple(() =>
        {
            Assert.That(requests.Count(r => r == nameof(UploadPartRequest)), Is.EqualTo(3), "parts of 8 MiB at most");
            Assert.That(requests, Does.Not.Contain(nameof(PutObjectRequest)));
            Assert.That(requests.Count(r => r == nameof(GetObjectRequest)), Is.EqualTo(1), "read whole with one GET");
            Assert.That(File.Exists(staged.TemporaryPath), Is.False);
            Assert.That(back.Length, Is.EqualTo(content.Length));
            Assert.That(SHA256.HashData(back.ToArray()), Is.EqualTo(SHA256.HashData(content)));
        });
    }

    [Test]
    public async Task Keys_of_another_shape_or_outside_the_prefix_are_not_listed()
    {
        var sha256 = await under.PublishAsync([1]);
        await under.PutObjectAsync("packages/readme", [1]);
        await under.PutObjectAsync("packages/ab/readme", [1]);
        await under.PutObjectAsync("packages/ab/cd/ef/deeper", [1]);
        await under.PutObjectAsync("packages/abc/cd/" + sha256, [1]);
        await under.PutObjectAsync("other/" + ContentKeys.RelativeKeyOf(sha256), [1]);

        var listed = await under.Store.EnumerateAsync(None).ToListAsync();

        Assert.That(listed.Select(c => c.Name), Is.EqualTo(new[] { sha256 }));
    }

    [Test]
    public void The_description_names_the_bucket_and_endpoint_and_no_key()
    {
        Assert.That(under.Store.Description, Does.Contain(under.Settings.Bucket).And.Contain(under.Settings.Endpoint.ToString()));
        Assert.That(under.Store.Description, Does.Not.Contain(under.Settings.SecretKey).And.Not.Contain(under.Settings.AccessKey));
    }

    [Test]
    public async Task Wrong_keys_fail_every_request_naming_the_bucket_and_endpoint_and_never_the_secret()
    {
        var sha256 = await under.PublishAsync([1, 2, 3]);
        using var store = new S3ContentStore(under.Settings with { AccessKey = "FORGEWRONGKEY", SecretKey = WrongSecret });
        var staged = await under.StageAsync([4, 5, 6]);

        var failures = new[]
        {
            Assert.ThrowsAsync<IOException>(() => store.SizeOfAsync(sha256, None)),
            Assert.ThrowsAsync<IOException>(() => store.OpenReadAsync(sha256, None)),
            Assert.ThrowsAsync<IOException>(() => store.DeleteAsync(sha256, None)),
            Assert.ThrowsAsync<IOException>(() => store.PublishAsync(staged, None)),
            Assert.ThrowsAsync<IOException>(async () => await store.EnumerateAsync(None).ToListAsync()),
        };

        Assert.Multiple(() =>
        {
            AssertNamesTheBucketAndNotTheSecret(failures);
            Assert.That(failures[3]!.Message, Does.Contain("InvalidAccessKeyId"), "S3's error code, where the answer has a body");
            Assert.That(File.Exists(staged.TemporaryPath), Is.True, "content that did not go up stays staged");
        });
    }

    [Test]
    public async Task A_wrong_secret_key_fails_naming_the_bucket_and_endpoint_and_never_the_secret()
    {
        if (!(await S3TestServer.SharedAsync()).ChecksSignatures)
        {
            Assert.Ignore("s3rver does not check signatures: set FORGE_TEST_S3 to a real server to run this test.");
        }

        var sha256 = await under.PublishAsync([1, 2, 3]);
        using var store = new S3ContentStore(under.Settings with { SecretKey = WrongSecret });
        var staged = await under.StageAsync([4, 5, 6]);

        var failures = new[]
        {
            Assert.ThrowsAsync<IOException>(() => store.SizeOfAsync(sha256, None)),
            Assert.ThrowsAsync<IOException>(() => store.PublishAsync(staged, None)),
            Assert.ThrowsAsync<IOException>(async () => await store.EnumerateAsync(None).ToListAsync()),
        };

        Assert.Multiple(() =>
        {
            AssertNamesTheBucketAndNotTheSecret(failures);
            Assert.That(failures[1]!.Message, Does.Contain("SignatureDoesNotMatch"));
        });
    }

    [Test]
    public void A_bucket_that_is_not_there_is_an_error_rather_than_missing_content()
    {
        using var store = new S3ContentStore(under.Settings with { Bucket = "forge-test-no-such-bucket" });
        var missing = Convert.ToHexStringLower(SHA256.HashData("x"u8));

        var failure = Assert.ThrowsAsync<IOException>(() => store.SizeOfAsync(missing, None));

        Assert.That(failure!.Message, Does.Contain("forge-test-no-such-bucket").And.Contain("HTTP 404"));
    }

    [Test]
    public void An_endpoint_that_does_not_answer_is_an_error_naming_it()
    {
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}/");
        using var store = new S3ContentStore(under.Settings with { Endpoint = closed });
        var missing = Convert.ToHexStringLower(SHA256.HashData("x"u8));

        var failure = Assert.ThrowsAsync<IOException>(() => store.SizeOfAsync(missing, None));

        Assert.That(failure!.Message, Does.Contain(closed.ToString()).And.Contain($"bucket {under.Settings.Bucket}"));
    }

    private void AssertNamesTheBucketAndNotTheSecret(IEnumerable<IOException?> failures)
    {
        foreach (var failure in failures)
        {
            Assert.That(failure!.Message, Does.Contain($"bucket {under.Settings.Bucket}").And.Contain(under.Settings.Endpoint.ToString()));
            Assert.That(failure.Message, Does.Contain("HTTP 403"));
            Assert.That(failure.ToString(), Does.Not.Contain(WrongSecret), "neither the message nor an inner exception's");
        }
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
