using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Forge.Modularity;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Packages.Content;
using Forge.Testing;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// Two Forge nodes on one database and one bucket of a real S3 server (s3rver), each serving the registry on a port of
/// its own with a folder of its own, and skopeo pushing through one and pulling through the other.
/// </summary>
[Category("Registry")]
public sealed class RegistryObjectStorageTests
{
    private const string Password = "correct horse battery staple";
    private static readonly SkopeoAccess Alice = RegistryWorld.As("alice", Password);
    private readonly Skopeo skopeo = new();
    private string scratch = "";
    private RegistryWorld first = null!;
    private RegistryWorld second = null!;
    private bool secondGone;
    private (string Key, string? Value)[] bucket = [];

    [SetUp]
    public async Task StartTwoNodes()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-registry-s3-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        bucket = await StorageSettingsUnderTest.ForAsync("s3");
        first = await RegistryWorld.StartAsync(bucket);
        second = await RegistryWorld.JoinAsync(first, bucket);
        await first.AddAccountAsync("alice", Password);
    }

    [TearDown]
    public async Task StopTwoNodes()
    {
        if (!secondGone)
        {
            await second.DisposeAsync();
        }

        await first.DisposeAsync();
        Directory.Delete(scratch, recursive: true);
    }

    [Test]
    public async Task An_image_pushed_through_one_node_pulls_whole_through_the_other_and_lives_in_the_bucket()
    {
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var image = source.WriteImage("v1", seed: 71, platforms: 2);

        await CopyAsync(source.Reference("v1"), first.Image("alice/app", "v1"), to: Alice);
        var pulled = new OciLayout(Path.Combine(scratch, "pulled"));
        await CopyAsync(second.Image("alice/app", "v1"), pulled.Reference("v1"), from: Alice);

        Assert.Multiple(async () =>
        {
            Assert.That(first.Address, Is.Not.EqualTo(second.Address));
            Assert.That(pulled.Tags()["v1"].Digest, Is.EqualTo(image.Index.Digest));
            Assert.That(pulled.BlobDigests(), Is.EquivalentTo(image.Digests.Distinct()), "every manifest, config and layer came back");
            Assert.That(await BucketDigestsAsync(second), Is.EquivalentTo(image.Digests.Distinct()), "the content is in the bucket, Forgejo's keys");
            Assert.That(ContentFilesIn(first.World.StorePath), Is.Empty, "the pushing node's folder keeps no content, staged file or partial upload");
            var fsck = await second.RunForgeAsync("packages", "fsck");
            Assert.That(fsck.ExitCode, Is.EqualTo(ExitCodes.Success), fsck.Output + fsck.Error);
        });
    }

    [Test]
    public async Task The_cleanups_on_one_node_free_the_bucket_for_both_and_what_stays_still_pulls_through_the_other()
    {
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var old = source.WriteImage("v1", seed: 81, platforms: 2);
        await CopyAsync(source.Reference("v1"), first.Image("alice/app", "v1"), to: Alice);
        var fresh = source.WriteImage("v1", seed: 82, platforms: 2);
        await CopyAsync(source.Reference("v1"), first.Image("alice/app", "v1"), to: Alice);
        var oldOnly = old.Digests.Except(fresh.Digests).ToList();

        // Every row is younger than a second: the cleanups' cutoff is strictly before now.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var dangling = await second.RunForgeAsync("packages", "container", "cleanup-sha256", "--older-than", "0s");
        Assert.That(dangling.ExitCode, Is.EqualTo(ExitCodes.Success), dangling.Error);
        var expired = await second.RunForgeAsync("packages", "cleanup", "--older-than", "0s", "--json");
        Assert.That(expired.ExitCode, Is.EqualTo(ExitCodes.Success), expired.Error);

        var left = await BucketDigestsAsync(first);
        var pulled = new OciLayout(Path.Combine(scratch, "pulled"));
        await CopyAsync(first.Image("alice/app", "v1"), pulled.Reference("v1"), from: Alice);
        var gone = await skopeo.InspectRawAsync(first.Image("alice/app", old.Platforms[0].Manifest.Digest), Alice);
        Assert.Multiple(() =>
        {
            Assert.That(left, Is.EquivalentTo(fresh.Digests.Distinct()), "the old image's objects are gone, the new one's all there");
            Assert.That(JsonNode.Parse(expired.Output)!["bytesFreed"]!.GetValue<long>(), Is.EqualTo(oldOnly.Sum(d => source.ReadBlob(d).LongLength)));
            Assert.That(pulled.BlobDigests(), Is.EquivalentTo(fresh.Digests.Distinct()), "the new tag pulls whole through the other node");
            Assert.That(gone.Succeeded, Is.False, "an old platform is gone for the other node too");
        });
    }

    [Test]
    public async Task An_upload_whose_chunks_alternate_between_the_nodes_completes_and_leaves_no_chunk_behind()
    {
        var blob = RandomNumberGenerator.GetBytes(3 * 100_000);
        var digest = Digest(blob);
        using var a = first.Client("alice", Password);
        using var b = second.Client("alice", Password);
        var location = await StartUploadAsync(a);

        using var one = await a.SendAsync(HttpMethod.Patch, location, blob[..100_000], "0-99999");
        using var two = await b.SendAsync(HttpMethod.Patch, location, blob[100_000..200_000], "100000-199999");
        using var status = await a.GetAsync(location);
        using var three = await a.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", blob[200_000..], "200000-299999");
        using var pulled = await b.GetAsync($"/v2/alice/app/blobs/{digest}");

        Assert.Multiple(async () =>
        {
            Assert.That((one.StatusCode, two.StatusCode, status.StatusCode), Is.EqualTo((HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.NoContent)));
            Assert.That(status.Headers.GetValues("Range").Single(), Is.EqualTo("0-199999"), "the first node counts the chunk the second took");
            Assert.That(three.StatusCode, Is.EqualTo(HttpStatusCode.Created), await three.Content.ReadAsStringAsync());
            Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob), "pulled through the other node, byte for byte");
            Assert.That(await UploadChunkKeysAsync(), Is.Empty, "the session's chunks go once the blob is stored");
            Assert.That(await BucketDigestsAsync(first), Is.EqualTo(new[] { digest }));
        });
    }

    [Test]
    public async Task A_node_that_dies_after_acknowledging_a_chunk_loses_nothing_the_other_node_finishes_the_upload()
    {
        var blob = RandomNumberGenerator.GetBytes(2 * 150_000);
        var digest = Digest(blob);
        using var a = first.Client("alice", Password);
        using var b = second.Client("alice", Password);
        var location = await StartUploadAsync(b);
        using var acknowledged = await b.SendAsync(HttpMethod.Patch, location, blob[..150_000], "0-149999");
        Assert.That(acknowledged.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await acknowledged.Content.ReadAsStringAsync());

        // The node goes, and its folder with it (the partial file of the session included).
        secondGone = true;
        await second.DisposeAsync();
        Assert.That(Directory.Exists(second.World.StorePath), Is.False);

        using var finished = await a.SendAsync(HttpMethod.Put, $"{location}?digest={digest}", blob[150_000..], "150000-299999");
        using var pulled = await a.GetAsync($"/v2/alice/app/blobs/{digest}");
        Assert.Multiple(async () =>
        {
            Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
            Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob));
        });
    }

    [Test]
    public async Task The_expired_data_cleanup_removes_the_chunks_of_an_abandoned_upload_from_the_bucket()
    {
        using var a = first.Client("alice", Password);
        using var chunk = await a.SendAsync(HttpMethod.Patch, await StartUploadAsync(a), RandomNumberGenerator.GetBytes(1000), "0-999");
        Assert.That(chunk.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await chunk.Content.ReadAsStringAsync());
        var kept = await UploadChunkKeysAsync();

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var expired = await second.RunForgeAsync("packages", "cleanup", "--older-than", "0s");

        Assert.Multiple(async () =>
        {
            Assert.That(kept, Has.Count.EqualTo(1), "the acknowledged chunk was kept in the bucket");
            Assert.That(expired.ExitCode, Is.EqualTo(ExitCodes.Success), expired.Error);
            Assert.That(await first.World.CountAsync("SELECT count(*) FROM package_blob_upload"), Is.Zero);
            Assert.That(await UploadChunkKeysAsync(), Is.Empty);
        });
    }

    private static string Digest(byte[] blob) => $"sha256:{Convert.ToHexStringLower(SHA256.HashData(blob))}";

    /// <summary>Starts an upload session of alice/app through a node; returns its location.</summary>
    private static async Task<string> StartUploadAsync(HttpClient node)
    {
        using var started = await node.PostAsync("/v2/alice/app/blobs/uploads/", null);
        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await started.Content.ReadAsStringAsync());
        return started.Headers.Location!.OriginalString;
    }

    [Test]
    public async Task With_serve_direct_a_blob_get_redirects_to_the_bucket_and_skopeo_pulls_through_the_redirects()
    {
        await using var direct = await RegistryWorld.JoinAsync(first, [.. bucket, ("Forge:Storage:S3:ServeDirect", "true")]);
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var image = source.WriteImage("v1", seed: 91, platforms: 1);
        await CopyAsync(source.Reference("v1"), first.Image("alice/app", "v1"), to: Alice);
        var layer = image.Platforms[0].Layers[0].Digest;

        using var noFollow = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = direct.Address };
        noFollow.DefaultRequestHeaders.Authorization = first.Client("alice", Password).DefaultRequestHeaders.Authorization;
        using var redirected = await noFollow.GetAsync($"/v2/alice/app/blobs/{layer}");
        using var head = await noFollow.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/alice/app/blobs/{layer}"));
        using var unknown = await noFollow.GetAsync($"/v2/alice/app/blobs/{Digest([1, 2, 3])}");
        var location = redirected.Headers.Location!;
        using var fetched = await new HttpClient().GetAsync(location);
        var pulled = new OciLayout(Path.Combine(scratch, "pulled"));
        await CopyAsync(direct.Image("alice/app", "v1"), pulled.Reference("v1"), from: Alice);

        Assert.Multiple(async () =>
        {
            Assert.That(redirected.StatusCode, Is.EqualTo(HttpStatusCode.TemporaryRedirect));
            Assert.That(location.GetLeftPart(UriPartial.Authority), Is.EqualTo(new Uri(bucket.Single(s => s.Key == "Forge:Storage:S3:Endpoint").Value!).GetLeftPart(UriPartial.Authority)));
            Assert.That(location.Query, Does.Contain("X-Amz-Signature="), "a presigned URL");
            Assert.That(location.Query, Does.Contain($"X-Amz-Credential={bucket.Single(s => s.Key == "Forge:Storage:S3:AccessKey").Value}%2F"), "signed with the access key, SigV4");
            Assert.That(await fetched.Content.ReadAsByteArrayAsync(), Is.EqualTo(source.ReadBlob(layer)), "the bucket serves the layer");
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK), "HEAD is answered by the node");
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a blob the repository lacks is not redirected");
            Assert.That(pulled.BlobDigests(), Is.EquivalentTo(image.Digests.Distinct()), "skopeo follows the redirects");
        });
    }

    /// <summary>The sessions that have upload chunks kept in the bucket.</summary>
    private async Task<List<string>> UploadChunkKeysAsync()
    {
        var sessions = first.World.Service<IUploadChunkStore>();
        Assert.That(sessions.KeepsChunks, Is.True);
        return await sessions.EnumerateSessionsAsync(CancellationToken.None).Select(s => s.UploadId).ToListAsync();
    }

    private async Task CopyAsync(string source, string destination, SkopeoAccess? from = null, SkopeoAccess? to = null)
    {
        var result = await skopeo.CopyAllAsync(source, destination, from, to);
        Assert.That(result.Succeeded, Is.True, result.ToString());
    }

    /// <summary>The digests of the blobs in the bucket, as the node's content store lists them.</summary>
    private static async Task<List<string>> BucketDigestsAsync(RegistryWorld node)
    {
        var store = node.World.Service<IContentStore>();
        Assert.That(store.Description, Does.StartWith("s3 bucket "));
        return await store.EnumerateAsync(CancellationToken.None).Select(s => $"sha256:{s.Name}").ToListAsync();
    }

    private static List<string> ContentFilesIn(string folder)
        => Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)] : [];
}
