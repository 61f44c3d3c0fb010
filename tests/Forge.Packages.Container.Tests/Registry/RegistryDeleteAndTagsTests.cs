using System.Net;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Tests.Registry.Support;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>Manifest deletes that never break an index, and the paged tag list.</summary>
[Category("Registry")]
public sealed class RegistryDeleteAndTagsTests : RegistryApiTest
{
    /// <summary>The tags of the listing test in the order the registry lists them (ordinal: upper case first).</summary>
    private static readonly string[] Listed = ["D", "a", "a-1", "b", "c"];

    private readonly TestImage amd64 = Image(seed: 1);
    private readonly TestImage arm64 = Image(seed: 2, architecture: "arm64");

    [Test]
    public async Task Deleting_an_index_by_digest_removes_its_tag_and_leaves_the_platform_manifests()
    {
        var index = await PushIndexAsync("v1");

        using var deleted = await Client.DeleteAsync($"/v2/{App}/manifests/{Digest(index)}");

        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await deleted.Content.ReadAsStringAsync());
        Assert.That(await VersionIdAsync("v1"), Is.Null);
        Assert.That(await VersionIdAsync(amd64.Digest), Is.Not.Null);
        Assert.That(await VersionIdAsync(arm64.Digest), Is.Not.Null);
        Assert.That(await VersionsAsync(), Is.EqualTo(2));
        Assert.That(await Registry.World.CountAsync("SELECT count(*) FROM package_property WHERE ref_type = 0 AND name = 'container.manifest.reference'"), Is.Zero);
        using var byTag = await Client.GetAsync($"/v2/{App}/manifests/v1");
        using var byDigest = await Client.GetAsync($"/v2/{App}/manifests/{Digest(index)}");
        using var child = await Client.GetAsync($"/v2/{App}/manifests/{amd64.Digest}");
        await AssertErrorAsync(byTag, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        await AssertErrorAsync(byDigest, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.That(await child.Content.ReadAsByteArrayAsync(), Is.EqualTo(amd64.Manifest));
    }

    [Test]
    public async Task A_platform_manifest_an_index_references_is_not_deleted()
    {
        await PushIndexAsync("v1");
        var before = await Registry.World.SnapshotAsync();

        using var deleted = await Client.DeleteAsync($"/v2/{App}/manifests/{amd64.Digest}");

        await AssertErrorAsync(deleted, HttpStatusCode.Conflict, "DENIED");
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
        using var child = await Client.GetAsync($"/v2/{App}/manifests/{amd64.Digest}");
        Assert.That(child.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Deleting_by_tag_removes_only_the_tag()
    {
        await Client.PushOkAsync(App, amd64, null);
        await Client.PushOkAsync(App, amd64, "v1");
        await Client.PushOkAsync(App, amd64, "v2");

        using var deleted = await Client.DeleteAsync($"/v2/{App}/manifests/v1");

        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await deleted.Content.ReadAsStringAsync());
        Assert.That(await VersionIdAsync("v1"), Is.Null);
        Assert.That(await VersionIdAsync("v2"), Is.Not.Null);
        Assert.That(await VersionIdAsync(amd64.Digest), Is.Not.Null);
        using var gone = await Client.GetAsync($"/v2/{App}/manifests/v1");
        using var kept = await Client.GetAsync($"/v2/{App}/manifests/v2");
        await AssertErrorAsync(gone, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        Assert.That(await kept.Content.ReadAsByteArrayAsync(), Is.EqualTo(amd64.Manifest));
        Assert.That(File.Exists(ContentPath(amd64.Digest)), Is.True);
    }

    [Test]
    public async Task Tags_are_listed_in_pages_in_lexical_order_without_digests_or_uploads()
    {
        await PushIndexAsync("b");
        foreach (var tag in new[] { "a", "c", "D", "a-1" })
        {
            await Client.PushOkAsync(App, amd64, tag);
        }

        using var first = await Client.GetAsync($"/v2/{App}/tags/list?n=2");
        var link = Header(first, "Link");
        var next = link[(link.IndexOf('<', StringComparison.Ordinal) + 1)..link.IndexOf('>', StringComparison.Ordinal)];
        using var second = await Client.GetAsync(next);
        using var all = await Client.GetAsync($"/v2/{App}/tags/list");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await TagsAsync(first), Is.EqualTo(Listed[..2]));
        Assert.That(link, Is.EqualTo($"</v2/{App}/tags/list?n=2&last=a>; rel=\"next\""));
        Assert.That(await TagsAsync(second), Is.EqualTo(Listed[2..4]));
        Assert.That(Header(second, "Link"), Is.EqualTo($"</v2/{App}/tags/list?n=2&last=b>; rel=\"next\""));
        Assert.That(await TagsAsync(all), Is.EqualTo(Listed));
        Assert.That(Header(all, "Link"), Is.Empty);
        Assert.That((string?)JsonNode.Parse(await all.Content.ReadAsStringAsync())!["name"], Is.EqualTo(App));
    }

    [TestCase("abc")]
    [TestCase("-1")]
    public async Task A_page_size_that_is_not_a_number_is_400(string n)
    {
        await Client.PushOkAsync(App, amd64, "v1");

        using var response = await Client.GetAsync($"/v2/{App}/tags/list?n={n}");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    /// <summary>Pushes both platform images by digest, then their index by tag; returns the index.</summary>
    private async Task<byte[]> PushIndexAsync(string tag)
    {
        await Client.PushOkAsync(App, amd64, null);
        await Client.PushOkAsync(App, arm64, null);
        var index = Index(amd64, arm64);
        using var pushed = await Client.PutManifestAsync(App, tag, index, OciIndex);
        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
        return index;
    }

    private static async Task<string[]> TagsAsync(HttpResponseMessage response)
        => [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!["tags"]!.AsArray().Select(t => (string)t!)];
}
