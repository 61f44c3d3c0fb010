using System.Net;
using System.Security.Cryptography;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Testing;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>Blob upload sessions over HTTP: monolithic, in chunks, refused, cancelled, and what they leave behind.</summary>
[Category("Registry")]
[TestFixtureSource(typeof(StorageSettingsUnderTest), nameof(StorageSettingsUnderTest.Kinds))]
public sealed class RegistryUploadTests(string storage) : RegistryApiTest(storage)
{
    [Test]
    public async Task A_monolithic_upload_is_created_with_its_location_and_digest()
    {
        var blob = Bytes(1000, seed: 1);
        var digest = Digest(blob);

        using var response = await Client.PostAsync($"/v2/{App}/blobs/uploads/?digest={digest}", Body(blob));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo($"/v2/{App}/blobs/{digest}"));
        Assert.That(Header(response, "Docker-Content-Digest"), Is.EqualTo(digest));
        await AssertStoredWithNoSessionLeftAsync(blob);
    }

    [Test]
    public async Task The_same_blob_uploaded_twice_and_an_empty_blob_are_stored_once_each()
    {
        var blob = Bytes(1000, seed: 1);
        await Client.UploadAsync(App, blob);
        await Client.UploadAsync("alice/other", blob);
        await Client.UploadAsync(App, blob);
        await Client.UploadAsync(App, []);

        Assert.That(await BlobRowsAsync(Digest(blob)), Is.EqualTo(1));
        Assert.That(await BlobRowsAsync(Digest([])), Is.EqualTo(1));
        Assert.That(
            await Registry.World.CountAsync("SELECT count(*) FROM package_file f JOIN package_blob b ON b.id = f.blob_id WHERE b.hash_sha256 = $1", Hex(blob)),
            Is.EqualTo(2),
            "one file in the _upload version of each repository");
        await AssertStoredWithNoSessionLeftAsync(blob);
        await AssertStoredWithNoSessionLeftAsync([]);
        using var empty = await Client.GetAsync($"/v2/{App}/blobs/{Digest([])}");
        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(empty.Content.Headers.ContentLength, Is.Zero);
    }

    [Test]
    public async Task A_session_finished_by_a_put_with_the_body_is_created()
    {
        var blob = Bytes(1000, seed: 1);
        var digest = Digest(blob);

        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;
        using var finished = await Client.PutAsync($"{location}?digest={digest}", Body(blob));

        Assert.That(started.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(location, Does.StartWith($"/v2/{App}/blobs/uploads/"));
        Assert.That(Header(started, "Docker-Upload-UUID"), Is.Not.Empty);
        Assert.That(Header(started, "Range"), Is.EqualTo("0-0"));
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        Assert.That(Header(finished, "Docker-Content-Digest"), Is.EqualTo(digest));
        await AssertStoredWithNoSessionLeftAsync(blob);
    }

    [Test]
    public async Task A_chunked_upload_reports_its_progress_and_is_finished_by_an_empty_put()
    {
        var blob = Bytes(3000, seed: 1);
        var digest = Digest(blob);
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;

        using var first = await Client.SendAsync(HttpMethod.Patch, location, blob[..1000], "0-999");
        using var second = await Client.SendAsync(HttpMethod.Patch, first.Headers.Location!.OriginalString, blob[1000..], "1000-2999");
        using var status = await Client.GetAsync(location);
        using var finished = await Client.PutAsync($"{location}?digest={digest}", null);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await first.Content.ReadAsStringAsync());
        Assert.That(Header(first, "Range"), Is.EqualTo("0-999"));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await second.Content.ReadAsStringAsync());
        Assert.That(Header(second, "Range"), Is.EqualTo("0-2999"));
        Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(Header(status, "Range"), Is.EqualTo("0-2999"));
        Assert.That(status.Headers.Location?.OriginalString, Is.EqualTo(location));
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        Assert.That(Header(finished, "Docker-Content-Digest"), Is.EqualTo(digest));
        using var pulled = await Client.GetAsync($"/v2/{App}/blobs/{digest}");
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(blob));
        await AssertNoSessionLeftAsync();
    }

    [TestCase("bytes 0-999/3000", "bytes 1000-2999/3000")]
    [TestCase("bytes=0-999", "bytes=1000-2999")]
    public async Task Chunks_may_name_their_range_the_HTTP_way(string firstRange, string secondRange)
    {
        var blob = Bytes(3000, seed: 2);
        var digest = Digest(blob);
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;

        using var first = await Client.SendAsync(HttpMethod.Patch, location, blob[..1000], firstRange);
        using var second = await Client.SendAsync(HttpMethod.Patch, location, blob[1000..], secondRange);
        using var finished = await Client.PutAsync($"{location}?digest={digest}", null);

        Assert.That(Header(first, "Range"), Is.EqualTo("0-999"), await first.Content.ReadAsStringAsync());
        Assert.That(Header(second, "Range"), Is.EqualTo("0-2999"), await second.Content.ReadAsStringAsync());
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        await AssertNoSessionLeftAsync();
    }

    [Test]
    public async Task A_session_belongs_to_its_repository_and_is_unknown_to_every_other()
    {
        await Registry.AddAccountAsync("bob", "bobs pw");
        using var bob = Registry.Client("bob", "bobs pw");
        var blob = Bytes(2000, seed: 3);
        var digest = Digest(blob);
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var id = Header(started, "Docker-Upload-UUID");
        using var first = await Client.SendAsync(HttpMethod.Patch, started.Headers.Location!.OriginalString, blob[..1000], "0-999");

        foreach (var (client, repository) in new[] { (Client, "alice/other"), (bob, "bob/app") })
        {
            var elsewhere = $"/v2/{repository}/blobs/uploads/{id}";
            using var status = await client.GetAsync(elsewhere);
            using var patch = await client.SendAsync(HttpMethod.Patch, elsewhere, blob[1000..], "1000-1999");
            using var finish = await client.PutAsync($"{elsewhere}?digest={digest}", null);
            using var cancel = await client.DeleteAsync(elsewhere);
            foreach (var refused in new[] { status, patch, finish, cancel })
            {
                await AssertErrorAsync(refused, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
            }
        }

        using var second = await Client.SendAsync(HttpMethod.Patch, first.Headers.Location!.OriginalString, blob[1000..], "1000-1999");
        using var finished = await Client.PutAsync($"{second.Headers.Location!.OriginalString}?digest={digest}", null);
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        await AssertStoredWithNoSessionLeftAsync(blob);
        Assert.That(await Registry.World.CountAsync("SELECT count(*) FROM package WHERE lower_name <> 'app'"), Is.Zero, "nothing landed elsewhere");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_session_whose_partial_file_lost_bytes_is_refused_never_padded_or_restored_from_the_bucket(bool removed)
    {
        var blob = Bytes(2000, seed: 4);
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;
        using var first = await Client.SendAsync(HttpMethod.Patch, location, blob[..1000], "0-999");
        var partial = Path.Combine(UploadFolder, Header(started, "Docker-Upload-UUID"));
        if (removed)
        {
            File.Delete(partial);
        }
        else
        {
            await using var file = new FileStream(partial, FileMode.Open);
            file.SetLength(500);
        }

        using var second = await Client.SendAsync(HttpMethod.Patch, location, blob[1000..], "1000-1999");
        using var finished = await Client.PutAsync($"{location}?digest={Digest(blob)}", null);

        if (Storage == "s3")
        {
            // The bucket kept the acknowledged chunk: the node fills its file from there and goes on.
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await second.Content.ReadAsStringAsync());
            Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
            await AssertStoredWithNoSessionLeftAsync(blob);
            return;
        }

        await AssertErrorAsync(second, HttpStatusCode.BadRequest, "BLOB_UPLOAD_INVALID");
        await AssertErrorAsync(finished, HttpStatusCode.BadRequest, "BLOB_UPLOAD_INVALID");
        Assert.That(await BlobRowsAsync(Digest(blob)), Is.Zero);
        Assert.That(HasContent(Digest(blob)), Is.False);
    }

    [Test]
    public async Task A_chunk_that_does_not_start_at_the_sessions_offset_is_416_and_the_session_goes_on()
    {
        var blob = Bytes(2000, seed: 1);
        var digest = Digest(blob);
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;
        using var first = await Client.SendAsync(HttpMethod.Patch, location, blob[..1000], "0-999");

        using var gap = await Client.SendAsync(HttpMethod.Patch, location, blob[1500..], "1500-1999");
        using var overlap = await Client.SendAsync(HttpMethod.Patch, location, blob[500..], "500-1999");

        foreach (var refused in new[] { gap, overlap })
        {
            await AssertErrorAsync(refused, HttpStatusCode.RequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID");
            Assert.That(Header(refused, "Range"), Is.EqualTo("0-999"));
        }

        using var rest = await Client.SendAsync(HttpMethod.Patch, location, blob[1000..], "1000-1999");
        using var finished = await Client.PutAsync($"{location}?digest={digest}", null);
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await rest.Content.ReadAsStringAsync());
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        await AssertStoredWithNoSessionLeftAsync(blob);
    }

    [Test]
    public async Task A_cancelled_session_is_gone_with_its_bytes()
    {
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;
        var id = Header(started, "Docker-Upload-UUID");
        using var chunk = await Client.SendAsync(HttpMethod.Patch, location, Bytes(1000, seed: 1), "0-999");
        Assert.That(File.Exists(Path.Combine(UploadFolder, id)), Is.True);

        using var cancelled = await Client.DeleteAsync(location);
        using var status = await Client.GetAsync(location);

        Assert.That(cancelled.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(File.Exists(Path.Combine(UploadFolder, id)), Is.False);
        Assert.That(await Registry.World.CountAsync("SELECT count(*) FROM package_blob_upload WHERE id = $1", id), Is.Zero);
        await AssertErrorAsync(status, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task An_upload_with_the_wrong_digest_is_DIGEST_INVALID_and_leaves_nothing(bool monolithic)
    {
        var blob = Bytes(1000, seed: 1);
        var claimed = Digest(Bytes(1000, seed: 2));
        var before = await Registry.World.SnapshotAsync();

        HttpResponseMessage response;
        if (monolithic)
        {
            response = await Client.PostAsync($"/v2/{App}/blobs/uploads/?digest={claimed}", Body(blob));
        }
        else
        {
            using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
            var location = started.Headers.Location!.OriginalString;
            using var chunk = await Client.SendAsync(HttpMethod.Patch, location, blob[..500], "0-499");
            response = await Client.PutAsync($"{location}?digest={claimed}", Body(blob[500..]));
        }

        using (response)
        {
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }

        Assert.That(await BlobRowsAsync(Digest(blob)) + await BlobRowsAsync(claimed), Is.Zero);
        Assert.That(HasContent(Digest(blob)) || HasContent(claimed), Is.False);
        await AssertNoSessionLeftAsync();
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
    }

    [TestCase("sha256:abc")]
    [TestCase("md5:0123456789abcdef0123456789abcdef")]
    public async Task A_monolithic_upload_with_a_malformed_digest_is_DIGEST_INVALID_and_opens_no_session(string digest)
    {
        using var response = await Client.PostAsync($"/v2/{App}/blobs/uploads/?digest={digest}", Body(Bytes(100, seed: 1)));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await AssertNoSessionLeftAsync();
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"));
    }

    [Test]
    public async Task A_chunk_shorter_than_its_Content_Range_is_SIZE_INVALID_and_the_session_stays_where_it_was()
    {
        var blob = Bytes(2000, seed: 1);
        var digest = Digest(blob);
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;
        using var first = await Client.SendAsync(HttpMethod.Patch, location, blob[..1000], "0-999");

        using var shortChunk = await Client.SendAsync(HttpMethod.Patch, location, Bytes(300, seed: 2), "1000-1999");
        using var status = await Client.GetAsync(location);
        using var rest = await Client.SendAsync(HttpMethod.Patch, location, blob[1000..], "1000-1999");
        using var finished = await Client.PutAsync($"{location}?digest={digest}", null);

        await AssertErrorAsync(shortChunk, HttpStatusCode.BadRequest, "SIZE_INVALID");
        Assert.That(Header(status, "Range"), Is.EqualTo("0-999"));
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await rest.Content.ReadAsStringAsync());
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        await AssertStoredWithNoSessionLeftAsync(blob);
    }

    [TestCase("GET")]
    [TestCase("PATCH")]
    [TestCase("PUT")]
    [TestCase("DELETE")]
    public async Task An_unknown_session_is_BLOB_UPLOAD_UNKNOWN(string method)
    {
        var digest = Digest([1, 2, 3]);
        foreach (var id in new[] { "0123456789abcdef0123456789abcdef", "not-a-session", "..%2F..%2Fetc" })
        {
            using var response = await Client.SendAsync(new HttpMethod(method), $"/v2/{App}/blobs/uploads/{id}?digest={digest}", method is "PATCH" or "PUT" ? [1, 2, 3] : null);

            await AssertErrorAsync(response, HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }

        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"));
    }

    [Test]
    public async Task A_blob_of_several_megabytes_uploaded_in_chunks_is_stored_whole_as_a_file_of_the_upload_version()
    {
        const int Chunk = 1024 * 1024;
        var blob = Bytes((5 * Chunk) + 12345, seed: 1);
        var hex = Convert.ToHexStringLower(SHA256.HashData(blob));
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;

        for (var offset = 0; offset < blob.Length; offset += Chunk)
        {
            var end = Math.Min(blob.Length, offset + Chunk);
            using var chunk = await Client.SendAsync(HttpMethod.Patch, location, blob[offset..end], $"{offset}-{end - 1}");
            Assert.That(chunk.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await chunk.Content.ReadAsStringAsync());
            location = chunk.Headers.Location!.OriginalString;
        }

        using var finished = await Client.PutAsync($"{location}?digest=sha256:{hex}", null);

        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
        var stored = await ReadContentAsync(hex);
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(stored)), Is.EqualTo(hex));
        Assert.That(stored, Has.Length.EqualTo(blob.Length));
        Assert.That(await Registry.World.ScalarAsync<long>("SELECT size FROM package_blob WHERE hash_sha256 = $1", hex), Is.EqualTo(blob.Length));
        Assert.That(
            await Registry.World.CountAsync("""
                SELECT count(*) FROM package_file f
                JOIN package_version v ON v.id = f.version_id JOIN package p ON p.id = v.package_id JOIN package_blob b ON b.id = f.blob_id
                WHERE b.hash_sha256 = $1 AND f.name = 'sha256_' || $1 AND v.version = '_upload' AND v.is_internal
                    AND p.name = 'app' AND p.type = 'container' AND p.owner_id = $2
                """, hex, Alice.Id),
            Is.EqualTo(1));
        Assert.That(
            await Registry.World.ScalarAsync<string>("""
                SELECT pp.value FROM package_property pp JOIN package p ON pp.ref_type = 2 AND pp.ref_id = p.id
                WHERE p.name = 'app' AND pp.name = 'container.repository'
                """),
            Is.EqualTo(App));
        await AssertNoSessionLeftAsync();
    }

    [Test]
    public async Task A_blob_uploaded_in_uneven_chunks_and_a_put_with_the_last_bytes_gets_all_four_hashes_of_its_whole_content()
    {
        // PATCHes of 1.5 MiB, 3 bytes and 700 KiB, then a PUT with the last 2.8 MiB: the server's 1 MiB pieces
        // straddle the chunks' edges, and the last piece of each request is a short one.
        var blob = Bytes((5 * 1024 * 1024) + 5, seed: 3);
        int[] cuts = [1536 * 1024, (1536 * 1024) + 3, (1536 * 1024) + 3 + (700 * 1024)];
        using var started = await Client.PostAsync($"/v2/{App}/blobs/uploads/", null);
        var location = started.Headers.Location!.OriginalString;
        var offset = 0;
        foreach (var end in cuts)
        {
            using var chunk = await Client.SendAsync(HttpMethod.Patch, location, blob[offset..end], $"{offset}-{end - 1}");
            Assert.That(chunk.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await chunk.Content.ReadAsStringAsync());
            location = chunk.Headers.Location!.OriginalString;
            offset = end;
        }

        using var finished = await Client.PutAsync($"{location}?digest={Digest(blob)}", Body(blob[offset..]));

        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.Created), await finished.Content.ReadAsStringAsync());
#pragma warning disable CA5350, CA5351 // package_blob's columns, as Forgejo fills them
        var expected = string.Join(' ', Convert.ToHexStringLower(MD5.HashData(blob)), Convert.ToHexStringLower(SHA1.HashData(blob)),
            Convert.ToHexStringLower(SHA256.HashData(blob)), Convert.ToHexStringLower(SHA512.HashData(blob)), blob.Length);
#pragma warning restore CA5350, CA5351
        Assert.That(
            await Registry.World.ScalarAsync<string>(
                "SELECT concat_ws(' ', hash_md5, hash_sha1, hash_sha256, hash_sha512, size) FROM package_blob WHERE hash_sha256 = $1", Hex(blob)),
            Is.EqualTo(expected));
        await AssertStoredWithNoSessionLeftAsync(blob);
    }
}
