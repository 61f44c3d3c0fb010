using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Tests.Registry.Support;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// The referrers API (<c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>) over artifacts pushed the way cosign's OCI 1.1
/// mode and oras push them: an image manifest with an artifactType, the empty config, a layer, annotations and a
/// subject.
/// </summary>
[Category("Registry")]
public sealed class RegistryReferrersTests : RegistryApiTest
{
    private const string CosignSignature = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const string CosignLayer = "application/vnd.dev.cosign.simplesigning.v1+json";
    private const string Spdx = "application/spdx+json";
    private const string AttestationConfig = "application/vnd.example.attestation.config.v1+json";

    private readonly TestImage image = Image(seed: 1);

    private (byte[] Manifest, string MediaType) Subject => (image.Manifest, image.MediaType);

    private string ReferrersOfImage => $"/v2/{App}/referrers/{image.Digest}";

    [Test]
    public async Task The_referrers_of_a_manifest_are_listed_with_their_types_sizes_and_annotations()
    {
        await Client.PushOkAsync(App, image, "v1");
        var signature = Artifact(Subject, CosignSignature, CosignLayer, seed: 10, SignatureAnnotations());
        var sbom = Artifact(Subject, Spdx, Spdx, seed: 11, new JsonObject { ["org.example.sbom.format"] = "spdx" });
        // No artifactType of its own: the config's media type stands for it.
        var attestation = Artifact(Subject, artifactType: null, "application/vnd.in-toto+json", seed: 12,
            config: (AttestationConfig, """{"predicateType":"https://slsa.dev/provenance/v1"}"""u8.ToArray()));
        var other = Image(seed: 2);
        await Client.PushOkAsync(App, other, null);
        var elsewhere = Artifact((other.Manifest, other.MediaType), Spdx, Spdx, seed: 13);
        await Client.PushOkAsync(App, signature, null);
        await Client.PushOkAsync(App, sbom, null);
        await Client.PushOkAsync(App, sbom, "sbom");
        await Client.PushOkAsync(App, attestation, null);
        await Client.PushOkAsync(App, elsewhere, null);
        // An index as a referrer: no artifactType, so its descriptor has none.
        var bundle = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndex,
            ["manifests"] = new JsonArray(DescriptorOf(OciManifest, sbom.Manifest)),
            ["subject"] = DescriptorOf(image.MediaType, image.Manifest),
            ["annotations"] = new JsonObject { ["org.example.bundle"] = "release" },
        }.ToJsonString());
        await PutOkAsync(App, bundle, OciIndex);

        using var response = await Client.GetAsync(ReferrersOfImage);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(OciIndex));
        var index = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That((int?)index["schemaVersion"], Is.EqualTo(2));
        Assert.That((string?)index["mediaType"], Is.EqualTo(OciIndex));
        AssertListed(index["manifests"]!.AsArray(),
            Described(signature.Manifest, OciManifest, CosignSignature, SignatureAnnotations()),
            Described(sbom.Manifest, OciManifest, Spdx, new JsonObject { ["org.example.sbom.format"] = "spdx" }),
            Described(attestation.Manifest, OciManifest, AttestationConfig, null),
            Described(bundle, OciIndex, null, new JsonObject { ["org.example.bundle"] = "release" }));
        Assert.That(Header(response, "OCI-Filters-Applied"), Is.Empty);
        Assert.That(Header(response, "Link"), Is.Empty);
    }

    [Test]
    public async Task Referrers_in_another_repository_are_not_listed()
    {
        await Client.PushOkAsync(App, image, "v1");
        await Client.PushOkAsync("alice/other", image, "v1");
        var here = Artifact(Subject, CosignSignature, CosignLayer, seed: 10);
        var there = Artifact(Subject, Spdx, Spdx, seed: 11);
        await Client.PushOkAsync(App, here, null);
        await Client.PushOkAsync("alice/other", there, null);

        var listedHere = await ListAsync(ReferrersOfImage);
        var listedThere = await ListAsync($"/v2/alice/other/referrers/{image.Digest}");

        AssertListed(listedHere, Described(here.Manifest, OciManifest, CosignSignature, null));
        AssertListed(listedThere, Described(there.Manifest, OciManifest, Spdx, null));
    }

    [Test]
    public async Task A_digest_nothing_refers_to_has_an_empty_list_whether_it_is_known_or_not()
    {
        await Client.PushOkAsync(App, image, "v1");

        using var known = await Client.GetAsync(ReferrersOfImage);
        using var unknown = await Client.GetAsync($"/v2/{App}/referrers/{Digest([1, 2, 3])}");

        foreach (var response in new[] { known, unknown })
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(OciIndex));
            Assert.That(
                await response.Content.ReadAsStringAsync(),
                Is.EqualTo($$"""{"schemaVersion":2,"mediaType":"{{OciIndex}}","manifests":[]}"""));
        }
    }

    [TestCase("sha256:abc")]
    [TestCase("md5:00000000000000000000000000000000")]
    [TestCase("latest")]
    public async Task An_invalid_digest_is_400_DIGEST_INVALID(string digest)
    {
        await Client.PushOkAsync(App, image, "v1");

        using var response = await Client.GetAsync($"/v2/{App}/referrers/{digest}");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Test]
    public async Task An_unknown_repository_is_NAME_UNKNOWN()
    {
        await Client.PushOkAsync(App, image, "v1");

        using var response = await Client.GetAsync($"/v2/alice/nothing/referrers/{image.Digest}");

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Test]
    public async Task The_artifactType_filter_lists_only_that_type_and_says_it_was_applied()
    {
        await Client.PushOkAsync(App, image, "v1");
        var signature = Artifact(Subject, CosignSignature, CosignLayer, seed: 10);
        var sbom = Artifact(Subject, Spdx, Spdx, seed: 11);
        var attestation = Artifact(Subject, artifactType: null, "application/vnd.in-toto+json", seed: 12, config: (AttestationConfig, "{}"u8.ToArray()));
        foreach (var artifact in new[] { signature, sbom, attestation })
        {
            await Client.PushOkAsync(App, artifact, null);
        }

        using var sboms = await Client.GetAsync($"{ReferrersOfImage}?artifactType={Uri.EscapeDataString(Spdx)}");
        using var attestations = await Client.GetAsync($"{ReferrersOfImage}?artifactType={Uri.EscapeDataString(AttestationConfig)}");
        using var none = await Client.GetAsync($"{ReferrersOfImage}?artifactType=application/vnd.example.nothing");

        foreach (var response in new[] { sboms, attestations, none })
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(Header(response, "OCI-Filters-Applied"), Is.EqualTo("artifactType"));
        }

        AssertListed(await ManifestsOfAsync(sboms), Described(sbom.Manifest, OciManifest, Spdx, null));
        AssertListed(await ManifestsOfAsync(attestations), Described(attestation.Manifest, OciManifest, AttestationConfig, null));
        AssertListed(await ManifestsOfAsync(none));
    }

    [Test]
    public async Task A_long_list_comes_in_pages_linked_by_Link_and_a_filtered_one_keeps_its_filter()
    {
        await Client.PushOkAsync(App, image, "v1");
        var artifacts = Enumerable.Range(20, 5).Select(seed => Artifact(Subject, seed % 2 == 0 ? CosignSignature : Spdx, CosignLayer, seed)).ToList();
        foreach (var artifact in artifacts)
        {
            await Client.PushOkAsync(App, artifact, null);
        }

        var (pages, links, listed) = await FollowAsync($"{ReferrersOfImage}?n=2");
        var (filteredPages, filteredLinks, filtered) = await FollowAsync($"{ReferrersOfImage}?n=1&artifactType={Uri.EscapeDataString(Spdx)}");

        var all = artifacts.Select(a => Digest(a.Manifest)).Order(StringComparer.Ordinal).ToList();
        Assert.That(listed, Is.EqualTo(all));
        Assert.That(string.Join(" ", pages), Is.EqualTo("2 2 1"));
        Assert.That(links[0], Is.EqualTo($"</v2/{App}/referrers/{image.Digest}?n=2&last={all[1]}>; rel=\"next\""));
        var sboms = artifacts.Where((_, i) => (20 + i) % 2 == 1).Select(a => Digest(a.Manifest)).Order(StringComparer.Ordinal).ToList();
        Assert.That(filtered, Is.EqualTo(sboms));
        Assert.That(string.Join(" ", filteredPages.Take(2)), Is.EqualTo("1 1"), "a page of one each, a last empty page allowed");
        Assert.That(filteredLinks, Has.All.Contains($"&artifactType={Uri.EscapeDataString(Spdx)}>"));
    }

    [Test]
    public async Task A_push_with_a_subject_answers_OCI_Subject_and_one_without_does_not()
    {
        var signature = Artifact(Subject, CosignSignature, CosignLayer, seed: 10);
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndex,
            ["manifests"] = new JsonArray(),
            ["subject"] = DescriptorOf(image.MediaType, image.Manifest),
        }.ToJsonString());

        using var plain = await Client.PushAsync(App, image, "v1");
        using var referrer = await Client.PushAsync(App, signature, null);
        using var tagged = await Client.PushAsync(App, signature, "sig");
        using var indexReferrer = await Client.PutManifestAsync(App, Digest(index), index, OciIndex);

        foreach (var response in new[] { plain, referrer, tagged, indexReferrer })
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        }

        Assert.That(plain.Headers.Contains("OCI-Subject"), Is.False);
        Assert.That(Header(referrer, "OCI-Subject"), Is.EqualTo(image.Digest));
        Assert.That(Header(tagged, "OCI-Subject"), Is.EqualTo(image.Digest));
        Assert.That(Header(indexReferrer, "OCI-Subject"), Is.EqualTo(image.Digest));
    }

    [Test]
    public async Task A_referrer_pushed_before_its_subject_is_listed_before_and_after_the_subject_comes()
    {
        // The specification: a registry accepts a manifest whose subject it does not have (yet).
        var signature = Artifact(Subject, CosignSignature, CosignLayer, seed: 10);
        await Client.PushOkAsync(App, signature, null);

        var before = await ListAsync(ReferrersOfImage);
        using var missing = await Client.GetAsync($"/v2/{App}/manifests/{image.Digest}");
        await Client.PushOkAsync(App, image, "v1");
        var after = await ListAsync(ReferrersOfImage);

        await AssertErrorAsync(missing, HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        AssertListed(before, Described(signature.Manifest, OciManifest, CosignSignature, null));
        AssertListed(after, Described(signature.Manifest, OciManifest, CosignSignature, null));
    }

    [Test]
    public async Task An_artifact_with_no_layers_is_accepted_and_listed()
    {
        // OCI 1.1 allows an artifact whose whole content is its annotations: an empty layers array.
        var annotated = Artifact(Subject, "application/vnd.example.note.v1", layerType: null, seed: 10, new JsonObject { ["org.example.note"] = "reviewed" });

        await Client.PushOkAsync(App, annotated, null);

        AssertListed(
            await ListAsync(ReferrersOfImage),
            Described(annotated.Manifest, OciManifest, "application/vnd.example.note.v1", new JsonObject { ["org.example.note"] = "reviewed" }));
    }

    [Test]
    public async Task A_deleted_referrer_is_no_longer_listed()
    {
        await Client.PushOkAsync(App, image, "v1");
        var signature = Artifact(Subject, CosignSignature, CosignLayer, seed: 10);
        var sbom = Artifact(Subject, Spdx, Spdx, seed: 11);
        await Client.PushOkAsync(App, signature, null);
        await Client.PushOkAsync(App, sbom, null);

        using var deleted = await Client.DeleteAsync($"/v2/{App}/manifests/{signature.Digest}");

        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await deleted.Content.ReadAsStringAsync());
        AssertListed(await ListAsync(ReferrersOfImage), Described(sbom.Manifest, OciManifest, Spdx, null));
    }

    [Test]
    public async Task A_referrer_whose_tag_moves_on_while_an_index_names_it_stays_listed()
    {
        // The tag's old manifest moves to its digest version because the index still names it; its subject goes with it.
        var attestation = Artifact(Subject, Spdx, Spdx, seed: 10);
        await Client.PushOkAsync(App, attestation, "att");
        using (var bundle = await Client.PutManifestAsync(App, "bundle", Index(OciIndex, (attestation.Manifest, OciManifest, null)), OciIndex))
        {
            Assert.That(bundle.StatusCode, Is.EqualTo(HttpStatusCode.Created), await bundle.Content.ReadAsStringAsync());
        }

        await Client.PushOkAsync(App, Image(seed: 3), "att");

        Assert.That(await VersionIdAsync(attestation.Digest), Is.Not.Null, "the old manifest has its digest version");
        AssertListed(await ListAsync(ReferrersOfImage), Described(attestation.Manifest, OciManifest, Spdx, null));
    }

    [Test]
    public async Task Who_may_not_pull_the_manifest_may_not_list_its_referrers()
    {
        await Client.PushOkAsync(App, image, "v1");
        await Client.PushOkAsync(App, Artifact(Subject, CosignSignature, CosignLayer, seed: 10), null);
        await Registry.AddAccountAsync("bob", "bobs-secret");
        using var anonymous = Registry.Client();
        using var emptyPair = Registry.Client("", "");
        using var wrongPassword = Registry.Client("alice", "not-her-password");
        using var bob = Registry.Client("bob", "bobs-secret");

        foreach (var client in new[] { anonymous, emptyPair, wrongPassword })
        {
            using var manifest = await client.GetAsync($"/v2/{App}/manifests/v1");
            using var referrers = await client.GetAsync(ReferrersOfImage);
            await AssertErrorAsync(manifest, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            await AssertErrorAsync(referrers, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.That(Header(referrers, "WWW-Authenticate"), Does.StartWith("Bearer realm="));
        }

        // Any account may pull, so any account may list.
        using var listedByBob = await bob.GetAsync(ReferrersOfImage);
        Assert.That(listedByBob.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ManifestsOfAsync(listedByBob), Has.Count.EqualTo(1));
    }

    private static JsonObject SignatureAnnotations() => new()
    {
        ["dev.cosignproject.cosign/signature"] = "MEUCIQDexampleSignature==",
        ["org.opencontainers.image.created"] = "2026-12-03T06:00:00Z",
    };

    /// <summary>The descriptor the referrers list should hold for a manifest.</summary>
    private static JsonObject Described(byte[] manifest, string mediaType, string? artifactType, JsonObject? annotations)
    {
        var descriptor = new JsonObject { ["mediaType"] = mediaType, ["digest"] = Digest(manifest), ["size"] = manifest.Length };
        if (artifactType is not null)
        {
            descriptor["artifactType"] = artifactType;
        }

        if (annotations is not null)
        {
            descriptor["annotations"] = annotations;
        }

        return descriptor;
    }

    /// <summary>The list holds exactly these descriptors, in digest order.</summary>
    private static void AssertListed(JsonArray listed, params JsonObject[] expected)
        => Assert.That(
            listed.ToJsonString(),
            Is.EqualTo(new JsonArray([.. expected.OrderBy(d => (string)d["digest"]!, StringComparer.Ordinal)]).ToJsonString()));

    private async Task PutOkAsync(string repository, byte[] manifest, string mediaType)
    {
        using var pushed = await Client.PutManifestAsync(repository, Digest(manifest), manifest, mediaType);
        Assert.That(pushed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pushed.Content.ReadAsStringAsync());
    }

    private async Task<JsonArray> ListAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await ManifestsOfAsync(response);
    }

    private static async Task<JsonArray> ManifestsOfAsync(HttpResponseMessage response)
        => JsonNode.Parse(await response.Content.ReadAsStringAsync())!["manifests"]!.AsArray();

    /// <summary>Follows the Link of each page from <paramref name="path"/> on: each page's size, each Link, every digest listed.</summary>
    private async Task<(List<int> Pages, List<string> Links, List<string> Digests)> FollowAsync(string path)
    {
        var pages = new List<int>();
        var links = new List<string>();
        var digests = new List<string>();
        for (var next = path; next is not null && pages.Count < 20;)
        {
            using var response = await Client.GetAsync(next);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            var manifests = await ManifestsOfAsync(response);
            pages.Add(manifests.Count);
            digests.AddRange(manifests.Select(m => (string)m!["digest"]!));
            var link = Header(response, "Link");
            next = link.Length == 0 ? null : link[(link.IndexOf('<', StringComparison.Ordinal) + 1)..link.IndexOf('>', StringComparison.Ordinal)];
            if (next is not null)
            {
                links.Add(link);
            }
        }

        return (pages, links, digests);
    }
}
