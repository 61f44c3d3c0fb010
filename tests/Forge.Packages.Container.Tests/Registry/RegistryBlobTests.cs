using System.Net;
using System.Net.Http.Headers;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Testing;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>Blobs over HTTP: HEAD, GET, ranges, mounts between repositories, and deletes.</summary>
[Category("Registry")]
[TestFixtureSource(typeof(StorageSettingsUnderTest), nameof(StorageSettingsUnderTest.Kinds))]
public sealed class RegistryBlobTests(string storage) : RegistryApiTest(storage)
{
    private readonly byte[] blob = Bytes(1000, seed: 1);

    [Test]
    public async Task Head_answers_the_size_and_digest_and_get_the_bytes()
    {
        var digest = await Client.UploadAsync(App, blob);

        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{App}/blobs/{digest}"));
        using var get = await Client.GetAsync($"/v2/{App}/blobs/{digest}");

        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(blob.Length));
        Assert.That(Header(head, "Docker-Content-Digest"), Is.EqualTo(digest));
        Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(get.Content.Headers.ContentLength, Is.EqualTo(blob.Length));
        Assert.That(Header(get, "Docker-Content-Digest"), Is.EqualTo(digest));
        Assert.That(await get.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob));
    }

    [Test]
    public async Task A_range_request_gets_exactly_those_bytes()
    {
        var digest = await Client.UploadAsync(App, blob);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{App}/blobs/{digest}");
        request.Headers.Range = new RangeHeaderValue(10, 19);

        using var response = await Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes 10-19/{blob.Length}"));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob[10..20]));
    }

    [Test]
    public async Task An_unknown_blob_is_BLOB_UNKNOWN_and_a_malformed_digest_DIGEST_INVALID()
    {
        await Client.UploadAsync(App, blob);

        using var unknown = await Client.GetAsync($"/v2/{App}/blobs/{Digest([1, 2, 3])}");
        using var unknownHead = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{App}/blobs/{Digest([1, 2, 3])}"));
        using var shortHex = await Client.GetAsync($"/v2/{App}/blobs/sha256:abc");
        using var otherAlgorithm = await Client.GetAsync($"/v2/{App}/blobs/md5:{new string('a', 32)}");

        await AssertErrorAsync(unknown, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        Assert.That(unknownHead.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        await AssertErrorAsync(shortHex, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertErrorAsync(otherAlgorithm, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Test]
    public async Task A_blob_of_another_repository_is_BLOB_UNKNOWN_here()
    {
        var digest = await Client.UploadAsync(App, blob);
        await Client.UploadAsync("alice/other", Bytes(10, seed: 2));

        using var response = await Client.GetAsync($"/v2/alice/other/blobs/{digest}");

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }

    [Test]
    public async Task A_blob_mounts_from_another_repository_of_the_same_owner()
    {
        var digest = await Client.UploadAsync(App, blob);

        using var mounted = await Client.PostAsync($"/v2/alice/other/blobs/uploads/?mount={digest}&from={App}", null);

        Assert.That(mounted.StatusCode, Is.EqualTo(HttpStatusCode.Created), await mounted.Content.ReadAsStringAsync());
        Assert.That(mounted.Headers.Location?.OriginalString, Is.EqualTo($"/v2/alice/other/blobs/{digest}"));
        Assert.That(Header(mounted, "Docker-Content-Digest"), Is.EqualTo(digest));
        using var pulled = await Client.GetAsync($"/v2/alice/other/blobs/{digest}");
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob));
        Assert.That(await SessionsAsync(), Is.Zero);
        Assert.That(await BlobRowsAsync(digest), Is.EqualTo(1));
    }

    [Test]
    public async Task A_mount_from_another_owners_repository_falls_back_to_an_upload_session()
    {
        await Registry.AddAccountAsync("bob", "bobs-secret");
        using var bob = Registry.Client("bob", "bobs-secret");
        var digest = await bob.UploadAsync("bob/app", blob);

        using var mounted = await Client.PostAsync($"/v2/alice/other/blobs/uploads/?mount={digest}&from=bob/app", null);

        Assert.That(mounted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await mounted.Content.ReadAsStringAsync());
        Assert.That(mounted.Headers.Location?.OriginalString, Does.StartWith("/v2/alice/other/blobs/uploads/"));
        Assert.That(await SessionsAsync(), Is.EqualTo(1));
        Assert.That(
            await Registry.World.CountAsync("SELECT count(*) FROM package WHERE owner_id = $1", Alice.Id),
            Is.Zero,
            "nothing mounted: alice has no repository at all");
        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/alice/other/blobs/{digest}"));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task An_uploaded_blob_is_deleted_and_then_unknown()
    {
        var digest = await Client.UploadAsync(App, blob);

        using var deleted = await Client.DeleteAsync($"/v2/{App}/blobs/{digest}");
        using var head = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{App}/blobs/{digest}"));
        using var again = await Client.DeleteAsync($"/v2/{App}/blobs/{digest}");

        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        await AssertErrorAsync(again, HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        Assert.That(
            await Registry.World.CountAsync("SELECT count(*) FROM package_file f JOIN package_blob b ON b.id = f.blob_id WHERE b.hash_sha256 = $1", digest[7..]),
            Is.Zero);
    }

    [Test]
    public async Task A_blob_a_manifest_uses_is_not_deleted_and_the_405_says_why()
    {
        // 405 UNSUPPORTED: of the answers the specification lists for a blob delete (202, 404, 405), the one for a
        // blob the registry does not delete.
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, "v1");
        await Client.PushOkAsync(App, image, "v2");
        var before = await Registry.World.SnapshotAsync();

        using var deleted = await Client.DeleteAsync($"/v2/{App}/blobs/{image.ConfigDigest}");

        await AssertErrorAsync(deleted, HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        Assert.That(
            await ErrorMessageAsync(deleted),
            Is.EqualTo($"blob {image.ConfigDigest} is not deleted: manifest(s) of this repository use it (v1, v2); delete those manifests first"));
        Assert.That(string.Join(", ", deleted.Content.Headers.Allow), Is.EqualTo("GET, HEAD"));
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
        using var pulled = await Client.GetAsync($"/v2/{App}/blobs/{image.ConfigDigest}");
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(image.Config));
    }
}
