using System.Diagnostics;
using System.Net;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Testing;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>The registry API's ping and credentials: who may pull and who may push, and what a refusal leaves.</summary>
[Category("Registry")]
public sealed class RegistryApiTests : RegistryApiTest
{
    [Test]
    public async Task Ping_without_credentials_is_challenged_for_a_bearer_token()
    {
        using var anonymous = Registry.Client();

        using var response = await anonymous.GetAsync("/v2/");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"), Does.StartWith("Bearer realm="));
        Assert.That(Header(response, "Docker-Distribution-API-Version"), Is.EqualTo("registry/2.0"));
    }

    [Test]
    public async Task Ping_with_good_credentials_is_200()
    {
        using var response = await Client.GetAsync("/v2/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(response, "Docker-Distribution-API-Version"), Is.EqualTo("registry/2.0"));
    }

    [Test]
    public async Task Ping_with_a_wrong_password_is_401_UNAUTHORIZED()
    {
        using var client = Registry.Client("alice", "not-her-password");

        using var response = await client.GetAsync("/v2/");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"), Does.StartWith("Bearer realm="));
    }

    [Test]
    public async Task With_anonymous_pull_an_empty_Basic_pair_pulls_but_does_not_push()
    {
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:AnonymousPull", "true"));
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        var image = Image(seed: 1);
        await alice.PushOkAsync(App, image, "v1");
        using var anonymous = registry.Client("", "");
        var before = await registry.World.SnapshotAsync();

        using var ping = await anonymous.GetAsync("/v2/");
        using var pulled = await anonymous.GetAsync($"/v2/{App}/manifests/v1");
        using var pushed = await anonymous.PutManifestAsync(App, "v2", image.Manifest, image.MediaType);
        using var upload = await anonymous.PostAsync($"/v2/{App}/blobs/uploads/", null);

        Assert.That(ping.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(pulled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(image.Manifest));
        await AssertErrorAsync(pushed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(pushed, "WWW-Authenticate"), Does.StartWith("Bearer realm="));
        await AssertErrorAsync(upload, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(await registry.World.SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task Without_anonymous_pull_an_empty_Basic_pair_may_not_pull()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        using var anonymous = Registry.Client("", "");
        using var nothing = Registry.Client();

        using var withEmptyPair = await anonymous.GetAsync($"/v2/{App}/manifests/v1");
        using var withoutHeader = await nothing.GetAsync($"/v2/{App}/manifests/v1");

        await AssertErrorAsync(withEmptyPair, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await AssertErrorAsync(withoutHeader, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(withoutHeader, "WWW-Authenticate"), Does.StartWith("Bearer realm="));
    }

    [Test]
    public async Task A_push_without_credentials_is_challenged_and_writes_nothing()
    {
        using var anonymous = Registry.Client();
        var layer = Bytes(100, seed: 1);
        var image = Image(seed: 2);
        var before = await Registry.World.SnapshotAsync();

        using var monolithic = await anonymous.PostAsync($"/v2/{App}/blobs/uploads/?digest={Digest(layer)}", Body(layer));
        using var manifest = await anonymous.PutManifestAsync(App, "v1", image.Manifest, image.MediaType);

        foreach (var response in new[] { monolithic, manifest })
        {
            await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.That(Header(response, "WWW-Authenticate"), Does.StartWith("Bearer realm="));
        }

        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
        Assert.That(File.Exists(ContentPath(Digest(layer))), Is.False);
        Assert.That(UploadFiles, Is.Empty);
    }

    [Test]
    public async Task Another_account_pushing_under_alice_is_denied_and_writes_nothing()
    {
        await Registry.AddAccountAsync("bob", "bobs-secret");
        using var bob = Registry.Client("bob", "bobs-secret");
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, "v1");
        var before = await Registry.World.SnapshotAsync();
        var layer = Bytes(100, seed: 9);

        using var upload = await bob.PostAsync($"/v2/{App}/blobs/uploads/?digest={Digest(layer)}", Body(layer));
        using var session = await bob.PostAsync($"/v2/{App}/blobs/uploads/", null);
        using var manifest = await bob.PutManifestAsync(App, "v2", image.Manifest, image.MediaType);
        using var deleteTag = await bob.DeleteAsync($"/v2/{App}/manifests/v1");
        using var deleteBlob = await bob.DeleteAsync($"/v2/{App}/blobs/{image.ConfigDigest}");

        foreach (var response in new[] { upload, session, manifest, deleteTag, deleteBlob })
        {
            await AssertErrorAsync(response, HttpStatusCode.Forbidden, "DENIED");
        }

        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
        Assert.That(File.Exists(ContentPath(Digest(layer))), Is.False);
        Assert.That(UploadFiles, Is.Empty);
    }

    [Test]
    public async Task Passwords_never_appear_in_answers_logs_or_spans()
    {
        const string Secret = "bobs-secret-Xq7";
        await Registry.AddAccountAsync("bob", Secret);
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name.StartsWith("Forge", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (spans)
                {
                    spans.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var bob = Registry.Client("bob", Secret);
        using var wrong = Registry.Client("alice", Secret);
        using var passwordAsName = Registry.Client(Secret, "");
        var layer = Bytes(100, seed: 1);

        var answers = new List<string>();
        var calls = new[]
        {
            (bob, HttpMethod.Post, $"/v2/{App}/blobs/uploads/?digest={Digest(layer)}"),
            (wrong, HttpMethod.Get, "/v2/"),
            (wrong, HttpMethod.Post, $"/v2/{App}/blobs/uploads/?digest={Digest(layer)}"),
            (passwordAsName, HttpMethod.Get, "/v2/"),
        };
        foreach (var (client, method, path) in calls)
        {
            using var response = await client.SendAsync(method, path, method == HttpMethod.Post ? layer : null);
            answers.Add($"{response.StatusCode} {response.Headers} {response.Content.Headers} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.That(answers, Has.None.Contains(Secret));
        Assert.That(Registry.Logs, Does.Not.Contain(Secret));
        string[] tags;
        lock (spans)
        {
            Assert.That(spans, Is.Not.Empty);
            tags = [.. spans.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName))];
        }

        Assert.That(tags, Has.None.Contains(Secret));
    }

    [TestCase("GET", "/v2/alice/app/nothing/here", HttpStatusCode.NotFound)]
    [TestCase("POST", "/v2/alice/app/tags/list", HttpStatusCode.MethodNotAllowed)]
    [TestCase("PATCH", "/v2/alice/app/manifests/v1", HttpStatusCode.MethodNotAllowed)]
    [TestCase("PUT", "/v2/alice/app/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.MethodNotAllowed)]
    [TestCase("DELETE", "/v2/alice/app/referrers/sha256:0000000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.MethodNotAllowed)]
    public async Task An_endpoint_or_method_the_API_does_not_have_is_UNSUPPORTED(string method, string path, HttpStatusCode status)
    {
        var before = await Registry.World.SnapshotAsync();

        using var response = await Client.SendAsync(new HttpMethod(method), path);

        await AssertErrorAsync(response, status, "UNSUPPORTED");
        Assert.That(await Registry.World.SnapshotAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task What_the_registry_did_is_in_the_metrics_scrape()
    {
        await Registry.AddAccountAsync("bob", "bobs pw");
        using var bob = Registry.Client("bob", "bobs pw");
        using var anonymous = Registry.Client();
        var image = Image(seed: 5);

        using (await anonymous.GetAsync("/v2/"))
        {
        }

        await Client.PushOkAsync(App, image, "v1");
        using (await bob.PostAsync($"/v2/{App}/blobs/uploads/", null))
        {
        }

        using (await Client.GetAsync($"/v2/{App}/blobs/{Digest(image.Layers[0])}"))
        {
        }

        var blobBytes = image.Blobs.Sum(b => (long)b.Length);
        string[] expected =
        [
            """forge_registry_requests_total{otel_scope_name="Forge.Packages.Container",operation="manifest.put",status="201"} 1""",
            $$"""forge_registry_requests_total{otel_scope_name="Forge.Packages.Container",operation="upload.start",status="201"} {{image.Blobs.Count()}}""",
            $"forge_registry_blob_received_bytes_total{{otel_scope_name=\"Forge.Packages.Container\"}} {blobBytes}",
            $"forge_registry_blob_sent_bytes_total{{otel_scope_name=\"Forge.Packages.Container\"}} {image.Layers[0].Length}",
            """forge_registry_manifests_pushed_total{otel_scope_name="Forge.Packages.Container",kind="image"} 1""",
            """forge_registry_auth_failures_total{otel_scope_name="Forge.Packages.Container",reason="denied"} 1""",
        ];

        // A request is counted when its handler ends, which may be just after the client has the last byte.
        var scrape = "";
        await Wait.UntilAsync(async () => expected.All((scrape = await Client.GetStringAsync("/metrics")).Contains));
        Assert.That(expected, Has.All.Matches<string>(scrape.Contains));
        Assert.That(scrape, Does.Not.Contain("reason=\"missing\""), "the ping's challenge is not a refusal");
    }
}
