using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Modularity;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// An owner's rule over images skopeo pushed, through one nightly chain run by the command line: what pulls after,
/// what the disk gave back, and an index that still names a removed tag's image.
/// </summary>
[Category("Registry")]
public sealed class RegistryRulesEndToEndTests
{
    private const string Password = "correct horse battery staple";
    private const long Day = 86_400;
    private static readonly SkopeoAccess Alice = RegistryWorld.As("alice", Password);
    private static readonly string[] KeptTags = ["all", "latest", "v10", "v8", "v9"];
    private static readonly string[] Chain = ["cleanup_package_rules manual success", "cleanup_container_sha256 chained success", "cleanup_packages chained success"];
    private readonly Skopeo skopeo = new();
    private string scratch = "";

    [SetUp]
    public void CreateScratch()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-rules-e2e-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
    }

    [TearDown]
    public void DeleteScratch() => Directory.Delete(scratch, recursive: true);

    [Test]
    public async Task Keep_count_three_and_one_nightly_chain_leave_the_three_newest_tags_and_latest_and_free_exactly_the_rest()
    {
        await using var registry = await RegistryWorld.StartAsync();
        var alice = await registry.AddAccountAsync("alice", Password);
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var images = new Dictionary<string, OciImage>();
        foreach (var tag in Enumerable.Range(1, 10).Select(i => $"v{i}").Append("latest"))
        {
            images[tag] = source.WriteImage(tag, seed: 300 + images.Count, platforms: 2);
            await CopyAsync(source.Reference(tag), registry.Image("alice/app", tag), to: Alice);
        }

        // A single-platform tag, and an index that names its manifest (as `buildx imagetools create` makes one),
        // kept by its own name: the rule removes the tag, and the index must still pull whole.
        var config = new ImageBlob(Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux"}"""), ImageMediaTypes.OciConfig);
        var layer = new ImageBlob(RandomNumberGenerator.GetBytes(4096), ImageMediaTypes.OciLayer);
        var single = await registry.World.Service<SyntheticImages>().PushImageAsync(alice.Id, "alice/app", "single", "linux/amd64", config, [layer]);
        await PushIndexAsync(registry, "all", new OciDescriptor(ImageMediaTypes.OciManifest, single.Digest, single.Size));
        // Pushed weeks ago, as far as every cleanup can tell (their windows are the default 24 h): the rows are dated by hand.
        foreach (var table in new[] { "package_version", "package_file", "package_blob" })
        {
            await registry.World.ExecuteAsync($"UPDATE {table} SET created_unix = $1", registry.World.Now - (60 * Day));
        }

        for (var i = 1; i <= 10; i++)
        {
            await registry.World.ExecuteAsync("UPDATE package_version SET created_unix = $1 WHERE version = $2", registry.World.Now - ((20 - i) * Day), $"v{i}");
        }

        var rule = await registry.RunForgeAsync("packages", "rules", "add", "alice", "--type", "container", "--keep-count", "3", "--keep-pattern", "all");
        Assert.That(rule.ExitCode, Is.EqualTo(ExitCodes.Success), rule.Error);
        var before = await registry.World.StoredBytesAsync();

        var chain = await registry.RunForgeAsync("cron", "run", "cleanup_package_rules");

        Assert.That(chain.ExitCode, Is.EqualTo(ExitCodes.Success), chain.Output + chain.Error);
        var runs = await registry.World.Database.ColumnAsync("""
            SELECT task || ' ' || trigger || ' ' || outcome FROM forge_cron_run
            WHERE id >= (SELECT min(id) FROM forge_cron_run WHERE task = 'cleanup_package_rules') ORDER BY id
            """);
        Assert.That(runs, Is.EqualTo(Chain));
        var tags = await registry.World.Database.ColumnAsync(
            "SELECT version FROM package_version WHERE NOT is_internal AND lower_version NOT LIKE 'sha256:%' ORDER BY version");
        Assert.That(tags, Is.EqualTo(KeptTags));
        foreach (var tag in new[] { "v8", "v9", "v10", "latest" })
        {
            var pulled = new OciLayout(Path.Combine(scratch, $"pulled-{tag}"));
            await CopyAsync(registry.Image("alice/app", tag), pulled.Reference(tag), from: Alice);
            Assert.That(pulled.BlobDigests(), Is.EquivalentTo(images[tag].Digests.Distinct()), tag);
        }

        foreach (var tag in Enumerable.Range(1, 7).Select(i => $"v{i}"))
        {
            var gone = await skopeo.InspectRawAsync(registry.Image("alice/app", tag), Alice);
            Assert.That(gone.Succeeded, Is.False, tag);
        }

        // The index that names the removed single-platform tag's manifest still pulls whole: the untag kept the manifest.
        var all = new OciLayout(Path.Combine(scratch, "pulled-all"));
        await CopyAsync(registry.Image("alice/app", "all"), all.Reference("all"), from: Alice);
        // skopeo checks every digest it fetches; it may store what it fetched recompressed, so the count is what compares.
        Assert.That(all.BlobDigests(), Has.Count.EqualTo(4), "the index, the manifest, its config and its layer");
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_version WHERE lower_version = $1", single.Digest), Is.EqualTo(1));

        // The disk gave back exactly v1 … v7: their indexes, manifests, configs and layers.
        var freed = Enumerable.Range(1, 7).SelectMany(i => images[$"v{i}"].Digests).Distinct().Sum(d => source.ReadBlob(d).LongLength);
        Assert.That(before - await registry.World.StoredBytesAsync(), Is.EqualTo(freed));
        var fsck = await registry.RunForgeAsync("packages", "fsck");
        Assert.That(fsck.ExitCode, Is.EqualTo(ExitCodes.Success), fsck.Output);
    }

    private static async Task PushIndexAsync(RegistryWorld registry, string tag, OciDescriptor child)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageMediaTypes.OciIndex,
            ["manifests"] = new JsonArray(new JsonObject { ["mediaType"] = child.MediaType, ["digest"] = child.Digest, ["size"] = child.Size }),
        }.ToJsonString();
        using var http = registry.Client("alice", Password);
        using var content = new StringContent(index, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(ImageMediaTypes.OciIndex);
        using var response = await http.PutAsync(new Uri($"/v2/alice/app/manifests/{tag}", UriKind.Relative), content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    private async Task CopyAsync(string source, string destination, SkopeoAccess? from = null, SkopeoAccess? to = null)
    {
        var result = await skopeo.CopyAllAsync(source, destination, from, to);
        Assert.That(result.Succeeded, Is.True, result.ToString());
    }
}
