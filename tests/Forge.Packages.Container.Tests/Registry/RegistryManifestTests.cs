using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Tests.Registry.Support;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>Manifests and indexes pushed and pulled over HTTP, and the rows docs/schema.md says they become.</summary>
[Category("Registry")]
public sealed class RegistryManifestTests : RegistryApiTest
{
    [Test]
    public async Task An_image_pushed_by_tag_is_pulled_by_tag_and_by_digest_with_its_exact_bytes()
    {
        var image = Image(seed: 1);

        using var pushed = await Client.PushAsync(App, image, "v1");

        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        Assert.That(Header(pushed, "Docker-Content-Digest"), Is.EqualTo(image.Digest));
        Assert.That(pushed.Headers.Location?.OriginalString, Is.EqualTo($"/v2/{App}/manifests/{image.Digest}"));
        foreach (var reference in new[] { "v1", image.Digest })
        {
            using var get = await Client.GetAsync($"/v2/{App}/manifests/{reference}");
            using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{App}/manifests/{reference}"));
            foreach (var response in new[] { get, head })
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), reference);
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(OciManifest), reference);
                Assert.That(Header(response, "Docker-Content-Digest"), Is.EqualTo(image.Digest), reference);
                Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(image.Manifest.Length), reference);
            }

            Assert.That(await get.Content.ReadAsByteArrayAsync(), Is.EqualTo(image.Manifest), reference);
            Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty, reference);
        }
    }

    [Test]
    public async Task An_image_pushed_by_tag_is_a_version_with_a_file_per_blob_and_its_manifest_as_lead()
    {
        var image = Image(seed: 1, os: "linux", architecture: "arm64");

        await Client.PushOkAsync(App, image, "v1");

        var version = await VersionIdAsync("v1");
        Assert.That(version, Is.Not.Null);
        Assert.That(
            await Registry.World.CountAsync("SELECT count(*) FROM package_property WHERE ref_type = 0 AND ref_id = $1 AND name = 'container.manifest.tagged'", version!.Value),
            Is.EqualTo(1));
        var files = await FilesAsync(version.Value);
        var expected = image.Blobs.Select((b, i) => (Name: $"sha256_{Hex(b)}", Lead: false, Digest: Digest(b),
                MediaType: i == 0 ? OciConfig : OciLayer, Size: (long)b.Length))
            .Append((Name: "manifest.json", Lead: true, Digest: image.Digest, MediaType: OciManifest, Size: (long)image.Manifest.Length))
            .OrderBy(f => f.Name, StringComparer.Ordinal);
        Assert.That(files, Is.EqualTo(expected));
        var metadata = JsonNode.Parse(await MetadataAsync(version.Value))!;
        Assert.That((string?)metadata["platform"], Is.EqualTo("linux/arm64"));
        Assert.That((string?)metadata["type"], Is.EqualTo("oci"));
        Assert.That((bool?)metadata["is_tagged"], Is.True);
    }

    [Test]
    public async Task An_image_pushed_by_digest_is_a_version_named_by_its_digest()
    {
        var image = Image(seed: 1);

        using var pushed = await Client.PushAsync(App, image, reference: null);

        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        Assert.That(await VersionIdAsync(image.Digest), Is.Not.Null);
        Assert.That(await VersionsAsync(), Is.EqualTo(1));
        Assert.That(
            await Registry.World.CountAsync("SELECT count(*) FROM package_property WHERE ref_type = 0 AND name = 'container.manifest.tagged'"),
            Is.Zero);
    }

    [Test]
    public async Task A_manifest_put_under_a_digest_it_does_not_have_is_DIGEST_INVALID()
    {
        var image = Image(seed: 1);
        var other = Digest(Image(seed: 2).Manifest);

        using var pushed = await Client.PushAsync(App, image, other);

        await AssertErrorAsync(pushed, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.That(await VersionsAsync(), Is.Zero);
        Assert.That(File.Exists(ContentPath(image.Digest)), Is.False);
    }

    [Test]
    public async Task A_manifest_naming_a_layer_not_uploaded_is_MANIFEST_BLOB_UNKNOWN()
    {
        var image = Image(seed: 1);
        await Client.UploadAsync(App, image.Config);
        await Client.UploadAsync(App, image.Layers[0]);
        var before = await Registry.World.SnapshotAsync();

        using var pushed = await Client.PutManifestAsync(App, "v1", image.Manifest, image.MediaType);

        await AssertErrorAsync(pushed, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.That(await VersionsAsync(), Is.Zero);
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
        Assert.That(File.Exists(ContentPath(image.Digest)), Is.False);
    }

    [Test]
    public async Task Docker_v2_manifests_and_manifest_lists_are_accepted()
    {
        var amd64 = Image(seed: 1, mediaType: DockerManifest);
        var arm64 = Image(seed: 2, architecture: "arm64", mediaType: DockerManifest);
        await Client.PushOkAsync(App, amd64, null);
        await Client.PushOkAsync(App, arm64, "arm64");
        var list = Index(DockerList, (amd64.Manifest, DockerManifest, "linux/amd64"), (arm64.Manifest, DockerManifest, "linux/arm64"));

        using var pushed = await Client.PutManifestAsync(App, "v1", list, DockerList);

        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        using var pulledList = await Client.GetAsync($"/v2/{App}/manifests/v1");
        using var pulledImage = await Client.GetAsync($"/v2/{App}/manifests/arm64");
        Assert.That(pulledList.Content.Headers.ContentType?.MediaType, Is.EqualTo(DockerList));
        Assert.That(await pulledList.Content.ReadAsByteArrayAsync(), Is.EqualTo(list));
        Assert.That(pulledImage.Content.Headers.ContentType?.MediaType, Is.EqualTo(DockerManifest));
        Assert.That(await pulledImage.Content.ReadAsByteArrayAsync(), Is.EqualTo(arm64.Manifest));
    }

    [Test]
    public async Task An_index_is_a_version_referencing_its_platform_manifests_with_their_sizes()
    {
        var amd64 = Image(seed: 1);
        var arm64 = Image(seed: 2, architecture: "arm64");
        await Client.PushOkAsync(App, amd64, null);
        await Client.PushOkAsync(App, arm64, null);
        var index = Index(amd64, arm64);

        using var pushed = await Client.PutManifestAsync(App, "v1", index, OciIndex);

        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        var version = (await VersionIdAsync("v1"))!.Value;
        Assert.That(await ReferencesAsync(version), Is.EquivalentTo(new[] { amd64.Digest, arm64.Digest }));
        var entries = JsonNode.Parse(await MetadataAsync(version))!["manifests"]!.AsArray()
            .Select(e => ((string?)e!["platform"], (string?)e["digest"], (long?)e["size"]));
        Assert.That(entries, Is.EqualTo(new[]
        {
            ((string?)"linux/amd64", (string?)amd64.Digest, (long?)amd64.TotalSize),
            ("linux/arm64", arm64.Digest, arm64.TotalSize),
        }));
        Assert.That(await FilesAsync(version), Is.EqualTo(new[] { ("manifest.json", true, Digest(index), OciIndex, (long)index.Length) }));
        using var pulled = await Client.GetAsync($"/v2/{App}/manifests/v1");
        Assert.That(pulled.Content.Headers.ContentType?.MediaType, Is.EqualTo(OciIndex));
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(index));
    }

    [Test]
    public async Task A_re_pushed_tag_keeps_the_manifest_an_index_named_through_it()
    {
        // crane index append and buildx imagetools create skip a manifest that HEAD finds by digest: the
        // index then names a manifest that only a tag holds, and the next push of that tag must not take it.
        var old = Image(seed: 1);
        var next = Image(seed: 3);
        await Client.PushOkAsync(App, old, "amd64");
        using (var index = await Client.PutManifestAsync(App, "latest", Index(old), OciIndex))
        {
            Assert.That(index.StatusCode, Is.EqualTo(HttpStatusCode.Created), await index.Content.ReadAsStringAsync());
        }

        await Client.PushOkAsync(App, next, "amd64");

        await AssertPulledAsync(old.Digest, old.Manifest);
        await AssertPulledAsync("amd64", next.Manifest);
        foreach (var blob in old.Blobs)
        {
            using var pulled = await Client.GetAsync($"/v2/{App}/blobs/{Digest(blob)}");
            Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob));
        }
    }

    [Test]
    public async Task An_index_pushed_at_a_tag_may_name_the_manifest_that_tag_had()
    {
        var amd64 = Image(seed: 1);
        var arm64 = Image(seed: 2, architecture: "arm64");
        await Client.PushOkAsync(App, amd64, "v1");
        await Client.PushOkAsync(App, arm64, null);
        var index = Index(amd64, arm64);

        using var pushed = await Client.PutManifestAsync(App, "v1", index, OciIndex);

        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        await AssertPulledAsync(amd64.Digest, amd64.Manifest);
        await AssertPulledAsync("v1", index);
    }

    private async Task AssertPulledAsync(string reference, byte[] manifest)
    {
        using var pulled = await Client.GetAsync($"/v2/{App}/manifests/{reference}");
        Assert.That(pulled.StatusCode, Is.EqualTo(HttpStatusCode.OK), await pulled.Content.ReadAsStringAsync());
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(manifest), reference);
    }

    [Test]
    public async Task The_same_manifest_pushed_at_once_by_several_clients_is_created_for_each()
    {
        // Two mirroring jobs of one upstream image push the same platform manifest and tag at the same moment.
        for (var round = 1; round <= 5; round++)
        {
            var image = Image(seed: round);
            foreach (var blob in image.Blobs)
            {
                await Client.UploadAsync(App, blob);
            }

            var pushes = Enumerable.Range(0, 8)
                .Select(i => Client.PutManifestAsync(App, i % 2 == 0 ? $"t{round}" : image.Digest, image.Manifest, image.MediaType)).ToList();
            foreach (var response in await Task.WhenAll(pushes))
            {
                using (response)
                {
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
                }
            }
        }

        Assert.That(await VersionsAsync(), Is.EqualTo(10));
    }

    [Test]
    public async Task An_index_naming_a_manifest_not_in_the_repository_is_MANIFEST_BLOB_UNKNOWN()
    {
        var amd64 = Image(seed: 1);
        var elsewhere = Image(seed: 2, architecture: "arm64");
        await Client.PushOkAsync(App, amd64, null);
        await Client.PushOkAsync("alice/other", elsewhere, null);
        var before = await Registry.World.SnapshotAsync();
        var index = Index(amd64, elsewhere);

        using var pushed = await Client.PutManifestAsync(App, "v1", index, OciIndex);

        await AssertErrorAsync(pushed, HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
        Assert.That(File.Exists(ContentPath(Digest(index))), Is.False);
    }

    [Test]
    public async Task An_index_naming_an_index_is_accepted()
    {
        var amd64 = Image(seed: 1);
        await Client.PushOkAsync(App, amd64, null);
        var inner = Index(amd64);
        using (var pushedInner = await Client.PutManifestAsync(App, Digest(inner), inner, OciIndex))
        {
            Assert.That(pushedInner.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushedInner.Content.ReadAsStringAsync());
        }

        var outer = Index(OciIndex, (inner, OciIndex, null));

        using var pushed = await Client.PutManifestAsync(App, "v1", outer, OciIndex);

        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        var version = (await VersionIdAsync("v1"))!.Value;
        Assert.That(await ReferencesAsync(version), Is.EqualTo(new[] { Digest(inner) }));
        var entry = JsonNode.Parse(await MetadataAsync(version))!["manifests"]![0]!;
        Assert.That((long?)entry["size"], Is.EqualTo(inner.Length));
    }

    [TestCase("{not json", OciManifest)]
    [TestCase("[]", OciManifest)]
    [TestCase("""{"schemaVersion":1,"name":"alice/app","tag":"v1","fsLayers":[]}""", DockerSchema1Manifest)]
    [TestCase("""{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json","config":{}}""", "application/vnd.example.thing+json")]
    [TestCase($$"""{"schemaVersion":2,"mediaType":"{{OciManifest}}","layers":[]}""", OciManifest)]
    public async Task A_manifest_the_registry_cannot_read_is_MANIFEST_INVALID(string manifest, string mediaType)
    {
        using var pushed = await Client.PutManifestAsync(App, "v1", Encoding.UTF8.GetBytes(manifest), mediaType);

        await AssertErrorAsync(pushed, HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"));
    }

    [TestCase("_upload")]
    [TestCase("_UPLOAD")]
    [TestCase(".hidden")]
    public async Task A_reserved_or_malformed_tag_is_TAG_INVALID(string tag)
    {
        var image = Image(seed: 1);

        using var pushed = await Client.PushAsync(App, image, tag);

        await AssertErrorAsync(pushed, HttpStatusCode.BadRequest, "TAG_INVALID");
        Assert.That(await VersionsAsync(), Is.Zero);
    }

    [TestCase("v2")]
    [TestCase("sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [TestCase(".INVALID_MANIFEST_NAME")]
    [TestCase("_upload")]
    [TestCase("a:b")]
    [TestCase("sha256:abc")]
    [TestCase("md5:00000000000000000000000000000000")]
    public async Task Get_and_head_of_a_reference_naming_no_manifest_are_MANIFEST_UNKNOWN_whatever_its_syntax(string reference)
    {
        // The specification answers a manifest the repository lacks with 404, and its conformance suite pulls a
        // malformed tag to check that; the message still says what is wrong with the reference.
        await Client.PushOkAsync(App, Image(seed: 1), "v1");

        using var get = await Client.GetAsync($"/v2/{App}/manifests/{reference}");
        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{App}/manifests/{reference}"));

        await AssertErrorAsync(get, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    [Test]
    public async Task A_malformed_reference_is_named_in_the_404s_message()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");

        using var tag = await Client.GetAsync($"/v2/{App}/manifests/.hidden");
        using var digest = await Client.GetAsync($"/v2/{App}/manifests/sha256:abc");

        Assert.That(await ErrorMessageAsync(tag), Does.Contain("'.hidden' is not a tag"));
        Assert.That(await ErrorMessageAsync(digest), Does.Contain("'sha256:abc' is not a sha256 digest"));
    }

    [TestCase(".hidden")]
    [TestCase("_upload")]
    public async Task A_delete_by_a_reserved_or_malformed_tag_is_TAG_INVALID_and_deletes_nothing(string tag)
    {
        // A delete names what to remove: a name that cannot be a tag is a bad request (400 is among the answers the
        // specification lists for it), and the internal _upload version is never deleted through the API.
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await Client.UploadAsync(App, Bytes(100, seed: 9));
        var before = await Registry.World.SnapshotAsync();

        using var deleted = await Client.DeleteAsync($"/v2/{App}/manifests/{tag}");

        await AssertErrorAsync(deleted, HttpStatusCode.BadRequest, "TAG_INVALID");
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
    }

    [TestCase("alice/App")]
    [TestCase("app")]
    [TestCase("alice/app-")]
    public async Task An_invalid_repository_name_is_NAME_INVALID(string name)
    {
        var image = Image(seed: 1);

        using var pushed = await Client.PutManifestAsync(name, "v1", image.Manifest, image.MediaType);
        using var pulled = await Client.GetAsync($"/v2/{name}/manifests/v1");
        using var upload = await Client.PostAsync($"/v2/{name}/blobs/uploads/", null);

        foreach (var response in new[] { pushed, pulled, upload })
        {
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "NAME_INVALID");
        }

        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"));
    }

    [Test]
    public async Task An_unknown_repository_is_NAME_UNKNOWN_and_an_unknown_tag_MANIFEST_UNKNOWN()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");

        using var repository = await Client.GetAsync("/v2/alice/nothing/manifests/v1");
        using var owner = await Client.GetAsync("/v2/nobody/app/manifests/v1");
        using var tag = await Client.GetAsync($"/v2/{App}/manifests/v2");
        using var digest = await Client.GetAsync($"/v2/{App}/manifests/{Digest([1])}");

        await AssertErrorAsync(repository, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        await AssertErrorAsync(owner, HttpStatusCode.NotFound, "NAME_UNKNOWN");
        await AssertErrorAsync(tag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await AssertErrorAsync(digest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    private async Task<List<(string Name, bool Lead, string Digest, string MediaType, long Size)>> FilesAsync(long version)
    {
        var text = await Registry.World.ScalarAsync<string>("""
            SELECT string_agg(concat_ws('|', f.name, f.is_lead::text, d.value, m.value, b.size), E'\n' ORDER BY f.name COLLATE "C")
            FROM package_file f JOIN package_blob b ON b.id = f.blob_id
            LEFT JOIN package_property d ON d.ref_type = 1 AND d.ref_id = f.id AND d.name = 'container.digest'
            LEFT JOIN package_property m ON m.ref_type = 1 AND m.ref_id = f.id AND m.name = 'container.mediatype'
            WHERE f.version_id = $1
            """, version);
        return [.. (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('|')).Select(p =>
            (p[0], p[1] == "true", p[2], p[3], long.Parse(p[4], System.Globalization.CultureInfo.InvariantCulture)))];
    }

    private async Task<string> MetadataAsync(long version)
        => await Registry.World.ScalarAsync<string>("SELECT metadata_json FROM package_version WHERE id = $1", version) ?? "";

    private async Task<string[]> ReferencesAsync(long version)
        => (await Registry.World.ScalarAsync<string[]>(
            "SELECT array_agg(value ORDER BY id) FROM package_property WHERE ref_type = 0 AND ref_id = $1 AND name = 'container.manifest.reference'", version)) ?? [];
}
