using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Modularity;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// Signatures and SBOMs of images skopeo pushed, pushed by digest through the registry's HTTP API the way cosign's OCI
/// 1.1 mode does, through the nightly chain run by the command line: they stay while their image is tagged, and go,
/// with their blobs, once the tag is deleted or pushed again with other content.
/// </summary>
[Category("Registry")]
public sealed class RegistryReferrersCleanupEndToEndTests
{
    private const string Password = "correct horse battery staple";
    private const long Day = 86_400;
    private const string SignatureType = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const string SimpleSigningType = "application/vnd.dev.cosign.simplesigning.v1+json";
    private const string SbomType = "application/spdx+json";
    private static readonly SkopeoAccess Alice = RegistryWorld.As("alice", Password);
    private static readonly string[] Orphaned = ["deleted", "repushed"];
    private static readonly string[] Chain = ["cleanup_package_rules manual success", "cleanup_container_sha256 chained success"];
    private readonly Skopeo skopeo = new();
    private string scratch = "";

    [SetUp]
    public void CreateScratch()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-referrers-e2e-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
    }

    [TearDown]
    public void DeleteScratch() => Directory.Delete(scratch, recursive: true);

    [Test]
    public async Task Referrers_stay_while_their_image_is_tagged_and_go_with_their_blobs_once_the_tag_is_deleted_or_pushed_again()
    {
        await using var registry = await RegistryWorld.StartAsync();
        await registry.AddAccountAsync("alice", Password);
        using var http = registry.Client("alice", Password);
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var images = new Dictionary<string, OciImage>();
        var referrers = new Dictionary<string, (Referrer Signature, Referrer Sbom)>();
        foreach (var tag in Orphaned.Append("kept"))
        {
            images[tag] = source.WriteImage(tag, seed: 500 + images.Count, platforms: 2);
            await CopyAsync(source.Reference(tag), registry.Image("alice/app", tag));
            // cosign signs image:tag by the digest of what the tag names: here the index skopeo pushed by tag alone.
            referrers[tag] = (
                await PushReferrerAsync(http, images[tag].Index, SignatureType, SimpleSigningType, $"signature of {tag}"),
                await PushReferrerAsync(http, images[tag].Index, SbomType, SbomType, $"{{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"{tag}\"}}"));
        }

        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_property WHERE name = 'container.manifest.subject'"), Is.EqualTo(6));
        await AgeEverythingAsync(registry);

        await RunChainAsync(registry, Chain);

        foreach (var (tag, (signature, sbom)) in referrers)
        {
            Assert.That(await ManifestStatusAsync(http, signature.Digest), Is.EqualTo(HttpStatusCode.OK), $"{tag}'s signature, while tagged");
            Assert.That(await ManifestStatusAsync(http, sbom.Digest), Is.EqualTo(HttpStatusCode.OK), $"{tag}'s SBOM, while tagged");
        }

        // The tag 'deleted' is deleted; 'repushed' gets other content: both their referrers are orphans now.
        using (var deleted = await http.DeleteAsync(new Uri("/v2/alice/app/manifests/deleted", UriKind.Relative)))
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await deleted.Content.ReadAsStringAsync());
        }

        source.WriteImage("repushed", seed: 600, platforms: 2);
        await CopyAsync(source.Reference("repushed"), registry.Image("alice/app", "repushed"));
        await AgeEverythingAsync(registry);
        var orphanPayloads = Orphaned.SelectMany(t => new[] { referrers[t].Signature.Payload, referrers[t].Sbom.Payload }).ToList();
        Assert.That(await registry.World.ContentExistsAsync(orphanPayloads.Select(p => p["sha256:".Length..])), Has.All.True);

        await RunChainAsync(registry, [.. Chain, "cleanup_packages chained success"]);

        foreach (var tag in Orphaned)
        {
            Assert.That(await ManifestStatusAsync(http, referrers[tag].Signature.Digest), Is.EqualTo(HttpStatusCode.NotFound), $"{tag}'s signature, once orphaned");
            Assert.That(await ManifestStatusAsync(http, referrers[tag].Sbom.Digest), Is.EqualTo(HttpStatusCode.NotFound), $"{tag}'s SBOM, once orphaned");
        }

        Assert.That(await ManifestStatusAsync(http, referrers["kept"].Signature.Digest), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ManifestStatusAsync(http, referrers["kept"].Sbom.Digest), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await registry.World.ContentExistsAsync(orphanPayloads.Select(p => p["sha256:".Length..])), Has.None.True, "the chained expired-data cleanup freed their blobs");
        var summary = await registry.World.ScalarAsync<string>(
            "SELECT summary FROM forge_cron_run WHERE task = 'cleanup_container_sha256' ORDER BY id DESC LIMIT 1");
        Assert.That(summary, Does.Contain("orphaned referrers 4"));
        var pulled = new OciLayout(Path.Combine(scratch, "pulled"));
        await CopyAsync(registry.Image("alice/app", "kept"), pulled.Reference("kept"), pull: true);
        Assert.That(pulled.BlobDigests(), Is.EquivalentTo(images["kept"].Digests.Distinct()), "the signed image still pulls whole");
        var fsck = await registry.RunForgeAsync("packages", "fsck");
        Assert.That(fsck.ExitCode, Is.EqualTo(ExitCodes.Success), fsck.Output);
    }

    /// <summary>A referrer pushed: its manifest's digest, and the digest of its one layer.</summary>
    private sealed record Referrer(string Digest, string Payload);

    /// <summary>
    /// Pushes by digest what cosign pushes in its OCI 1.1 mode: the empty config <c>{}</c>, one layer, and a manifest with
    /// an <c>artifactType</c>, a <c>subject</c> naming <paramref name="subject"/>, and annotations.
    /// </summary>
    private static async Task<Referrer> PushReferrerAsync(HttpClient http, OciDescriptor subject, string artifactType, string layerType, string payload)
    {
        var empty = RegistryCalls.EmptyBlob;
        var layer = Encoding.UTF8.GetBytes(payload);
        await http.UploadAsync("alice/app", empty);
        var layerDigest = await http.UploadAsync("alice/app", layer);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageMediaTypes.OciManifest,
            ["artifactType"] = artifactType,
            ["config"] = new JsonObject { ["mediaType"] = ImageMediaTypes.OciEmpty, ["digest"] = RegistryCalls.Digest(empty), ["size"] = empty.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = layerType, ["digest"] = layerDigest, ["size"] = layer.Length }),
            ["subject"] = new JsonObject { ["mediaType"] = subject.MediaType, ["digest"] = subject.Digest, ["size"] = subject.Size },
            ["annotations"] = new JsonObject { ["org.opencontainers.image.created"] = "2026-12-01T00:00:00Z" },
        }.ToJsonString());
        var digest = RegistryCalls.Digest(manifest);
        using var response = await http.PutManifestAsync("alice/app", digest, manifest, ImageMediaTypes.OciManifest);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return new Referrer(digest, layerDigest);
    }

    private static async Task<HttpStatusCode> ManifestStatusAsync(HttpClient http, string digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/alice/app/manifests/{digest}");
        request.Headers.Accept.ParseAdd(ImageMediaTypes.OciManifest);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Pushed weeks ago, as far as every cleanup can tell (their windows are the default 24 h): the rows are dated by hand.</summary>
    private static async Task AgeEverythingAsync(RegistryWorld registry)
    {
        foreach (var table in new[] { "package_version", "package_file", "package_blob" })
        {
            await registry.World.ExecuteAsync($"UPDATE {table} SET created_unix = $1", registry.World.Now - (60 * Day));
        }
    }

    /// <summary>The nightly chain, as the command line runs it: the rules, then (chained) this cleanup and the expired-data one.</summary>
    private static async Task RunChainAsync(RegistryWorld registry, string[] expected)
    {
        var first = await registry.World.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM forge_cron_run");
        var chain = await registry.RunForgeAsync("cron", "run", "cleanup_package_rules");
        Assert.That(chain.ExitCode, Is.EqualTo(ExitCodes.Success), chain.Output + chain.Error);
        var runs = await registry.World.Database.ColumnAsync(
            $"SELECT task || ' ' || trigger || ' ' || outcome FROM forge_cron_run WHERE id > {first} ORDER BY id");
        Assert.That(runs, Is.EqualTo(expected));
    }

    private async Task CopyAsync(string source, string destination, bool pull = false)
    {
        var result = await skopeo.CopyAllAsync(source, destination, pull ? Alice : null, pull ? null : Alice);
        Assert.That(result.Succeeded, Is.True, result.ToString());
    }
}
