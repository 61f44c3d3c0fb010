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

    [SetUp]
    public async Task StartTwoNodes()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-registry-s3-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        var bucket = await StorageSettingsUnderTest.ForAsync("s3");
        first = await RegistryWorld.StartAsync(bucket);
        second = await RegistryWorld.JoinAsync(first, bucket);
        await first.AddAccountAsync("alice", Password);
    }

    [TearDown]
    public async Task StopTwoNodes()
    {
        await second.DisposeAsync();
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
