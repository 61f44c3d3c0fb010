using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// The registry tests' harness checked against skopeo alone, before any registry exists: the layouts
/// <see cref="OciLayout"/> writes are what skopeo reads, and a copy between layouts keeps every digest.
/// </summary>
[Category("Registry")]
public sealed class OciHarnessTests
{
    private static readonly string[] AllPlatforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"];
    private readonly Skopeo skopeo = new();
    private string scratch = "";

    [SetUp]
    public void CreateScratch()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-oci-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
    }

    [TearDown]
    public void DeleteScratch() => Directory.Delete(scratch, recursive: true);

    [Test]
    public void The_same_seed_writes_the_same_digests()
    {
        var first = new OciLayout(Path.Combine(scratch, "a")).WriteImage("v1", seed: 7);
        var second = new OciLayout(Path.Combine(scratch, "b")).WriteImage("v1", seed: 7);

        Assert.That(second.Digests, Is.EqualTo(first.Digests));
        Assert.That(first.Platforms.Select(p => p.Platform.Name), Is.EqualTo(AllPlatforms));
        Assert.That(first.Platforms.Select(p => p.Layers.Count), Has.All.InRange(1, 3));
        Assert.That(first.Digests, Is.Unique);
    }

    [Test]
    public async Task Skopeo_inspect_raw_by_tag_returns_the_index_the_layout_wrote()
    {
        var layout = new OciLayout(Path.Combine(scratch, "layout"));
        var image = layout.WriteImage("v1", seed: 1);

        var inspected = await skopeo.InspectRawAsync(layout.Reference("v1"));

        Assert.That(inspected.Succeeded, Is.True, inspected.ToString());
        var raw = Encoding.UTF8.GetBytes(inspected.Output);
        Assert.That(OciLayout.Digest(raw), Is.EqualTo(image.Index.Digest));
        var index = JsonNode.Parse(raw)!;
        Assert.That((string?)index["mediaType"], Is.EqualTo(ImageMediaTypes.OciIndex));
        Assert.That(
            index["manifests"]!.AsArray().Select(m => ((string?)m!["digest"], (string?)m["platform"]!["architecture"])),
            Is.EqualTo(image.Platforms.Select(p => ((string?)p.Manifest.Digest, (string?)p.Platform.Architecture))));
    }

    [Test]
    public async Task Skopeo_reads_each_platform_image_with_its_config_and_layers()
    {
        var layout = new OciLayout(Path.Combine(scratch, "layout"));
        var image = layout.WriteImage("v1", seed: 5);

        foreach (var platform in image.Platforms)
        {
            List<string> arguments = ["inspect", "--override-os", platform.Platform.Os, "--override-arch", platform.Platform.Architecture];
            if (platform.Platform.Variant is { } variant)
            {
                arguments.AddRange(["--override-variant", variant]);
            }

            var inspected = await skopeo.RunAsync([.. arguments, layout.Reference("v1")]);

            Assert.That(inspected.Succeeded, Is.True, inspected.ToString());
            var summary = JsonNode.Parse(inspected.Output)!;
            // skopeo names the digest of what the reference names: the index, not the platform's manifest.
            Assert.That((string?)summary["Digest"], Is.EqualTo(image.Index.Digest), platform.Platform.Name);
            Assert.That((string?)summary["Architecture"], Is.EqualTo(platform.Platform.Architecture), platform.Platform.Name);
            Assert.That(summary["Layers"]!.AsArray().Select(l => (string?)l), Is.EqualTo(platform.Layers.Select(l => (string?)l.Digest)), platform.Platform.Name);
        }
    }

    [Test]
    public void Each_layer_is_a_gzip_tar_whose_digest_uncompressed_is_the_config_diff_id()
    {
        var layout = new OciLayout(Path.Combine(scratch, "layout"));
        var image = layout.WriteImage("v1", seed: 6);

        foreach (var platform in image.Platforms)
        {
            var config = JsonNode.Parse(layout.ReadBlob(platform.Config.Digest))!;
            var diffIds = config["rootfs"]!["diff_ids"]!.AsArray().Select(d => (string?)d).ToList();
            var uncompressed = new List<string?>();
            foreach (var layer in platform.Layers)
            {
                using var tar = new MemoryStream();
                using (var gzip = new GZipStream(new MemoryStream(layout.ReadBlob(layer.Digest)), CompressionMode.Decompress))
                {
                    gzip.CopyTo(tar);
                }

                uncompressed.Add(OciLayout.Digest(tar.ToArray()));
                tar.Position = 0;
                using var reader = new TarReader(tar);
                Assert.That(reader.GetNextEntry(), Is.Not.Null, layer.Digest);
            }

            Assert.That(diffIds, Is.EqualTo(uncompressed), platform.Platform.Name);
        }
    }

    [Test]
    public async Task Skopeo_copy_all_between_layouts_keeps_every_digest()
    {
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var image = source.WriteImage("v1", seed: 2, platforms: 2);
        var destination = new OciLayout(Path.Combine(scratch, "destination"));

        var copied = await skopeo.CopyAllAsync(source.Reference("v1"), destination.Reference("v1"));

        Assert.That(copied.Succeeded, Is.True, copied.ToString());
        Assert.That(destination.Tags(), Is.EqualTo(new Dictionary<string, OciDescriptor> { ["v1"] = image.Index }));
        Assert.That(destination.BlobDigests(), Is.EquivalentTo(image.Digests));
        foreach (var digest in destination.BlobDigests())
        {
            Assert.That(destination.ReadBlob(digest), Is.EqualTo(source.ReadBlob(digest)), digest);
        }
    }

    [Test]
    public async Task A_second_version_of_a_tag_moves_the_tag_to_a_new_index()
    {
        var layout = new OciLayout(Path.Combine(scratch, "layout"));
        var first = layout.WriteImage("v1", seed: 3);

        var second = layout.WriteImage("v1", seed: 4);
        var inspected = await skopeo.InspectRawAsync(layout.Reference("v1"));

        Assert.That(inspected.Succeeded, Is.True, inspected.ToString());
        Assert.That(OciLayout.Digest(Encoding.UTF8.GetBytes(inspected.Output)), Is.EqualTo(second.Index.Digest));
        Assert.That(second.Index.Digest, Is.Not.EqualTo(first.Index.Digest));
        Assert.That(second.Digests.Intersect(first.Digests), Is.Empty, "the new version shares no blob with the old");
        Assert.That(layout.Tags().Keys.Single(), Is.EqualTo("v1"));
        Assert.That(layout.BlobDigests(), Is.SupersetOf(first.Digests), "the old version's blobs stay, as after a re-push");
    }

    [Test]
    public async Task Credentials_never_appear_in_what_a_failed_run_reports()
    {
        const string password = "s3cret-pa55word";

        // Nothing listens on port 1: skopeo fails, and its report must still not name the password.
        var result = await skopeo.InspectRawAsync("docker://127.0.0.1:1/owner/image:v1", SkopeoAccess.HttpAs("owner", password));

        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.ToString(), Does.Not.Contain(password));
        Assert.That(result.Command, Does.Contain("--creds " + Skopeo.Redacted).And.Contain("--tls-verify=false"));
        Assert.That(
            Skopeo.RedactCredentials($"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("owner:" + password))}", ["--dest-creds", "owner:" + password]),
            Is.EqualTo("Authorization: Basic " + Skopeo.Redacted));
    }
}
