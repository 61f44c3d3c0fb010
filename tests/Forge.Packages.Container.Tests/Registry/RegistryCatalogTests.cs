using System.Net;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Tests.Registry.Support;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryTokenCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary><c>GET /v2/_catalog</c>: every repository an account may pull, sorted, paged with <c>n</c>, <c>last</c> and <c>Link</c>.</summary>
[Category("Registry")]
public sealed class RegistryCatalogTests : RegistryApiTest
{
    [Test]
    public async Task An_account_sees_every_repository_sorted_but_not_one_with_only_uploaded_blobs()
    {
        await PushReposAsync();
        // Blobs uploaded to alice/pending, no manifest yet: only its internal _upload version exists.
        var layer = Bytes(100, seed: 5);
        using var upload = await Client.PostAsync($"/v2/alice/pending/blobs/uploads/?digest={Digest(layer)}", Body(layer));
        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        Assert.That(string.Join(' ', await ListAsync(Client, "/v2/_catalog")), Is.EqualTo("alice/app alice/b/c alice/web bob/tool"));
    }

    [Test]
    public async Task The_catalog_pages_with_n_last_and_a_Link_to_the_next_page()
    {
        await PushReposAsync();

        using var first = await Client.GetAsync("/v2/_catalog?n=3");
        var link = Header(first, "Link");
        using var second = await Client.GetAsync(link[1..link.IndexOf('>', StringComparison.Ordinal)]);

        Assert.That(string.Join(' ', await RepositoriesAsync(first)), Is.EqualTo("alice/app alice/b/c alice/web"));
        Assert.That(link, Is.EqualTo("</v2/_catalog?n=3&last=alice%2Fweb>; rel=\"next\""));
        Assert.That(string.Join(' ', await RepositoriesAsync(second)), Is.EqualTo("bob/tool"));
        Assert.That(Header(second, "Link"), Is.Empty);
    }

    [Test]
    public async Task A_bad_n_is_PAGINATION_NUMBER_INVALID()
    {
        using var response = await Client.GetAsync("/v2/_catalog?n=many");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "PAGINATION_NUMBER_INVALID");
    }

    [Test]
    public async Task Without_anonymous_pull_an_anonymous_caller_is_challenged_for_the_catalog_scope()
    {
        using var anonymous = Registry.Client();

        using var response = await anonymous.GetAsync("/v2/_catalog");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"), Does.StartWith("Bearer realm=").And.EndWith(",scope=\"registry:catalog:*\""));
    }

    [Test]
    public async Task With_anonymous_pull_anyone_lists_the_catalog()
    {
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:AnonymousPull", "true"));
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        await alice.PushOkAsync(App, Image(seed: 1), "v1");
        using var anonymous = registry.Client();
        using var anonymousBearer = registry.BearerClient(await anonymous.TokenAsync("registry:catalog:*"));

        Assert.That(await ListAsync(anonymous, "/v2/_catalog"), Is.EqualTo((string[])[App]));
        Assert.That(await ListAsync(anonymousBearer, "/v2/_catalog"), Is.EqualTo((string[])[App]));
    }

    [Test]
    public async Task A_bearer_token_lists_the_catalog_only_with_the_catalog_scope()
    {
        await PushReposAsync();
        using var withScope = Registry.BearerClient(await Client.TokenAsync("registry:catalog:*"));
        using var without = Registry.BearerClient(await Client.TokenAsync("repository:alice/app:pull"));

        using var refused = await without.GetAsync("/v2/_catalog");

        Assert.That(await ListAsync(withScope, "/v2/_catalog"), Has.Length.EqualTo(4));
        await AssertErrorAsync(refused, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(refused, "WWW-Authenticate"), Does.EndWith(",scope=\"registry:catalog:*\",error=\"insufficient_scope\""));
    }

    private async Task PushReposAsync()
    {
        await Registry.AddAccountAsync("bob", "bobs-pw");
        using var bob = Registry.Client("bob", "bobs-pw");
        await Client.PushOkAsync("alice/web", Image(seed: 1), "v1");
        await Client.PushOkAsync(App, Image(seed: 2), "v1");
        await Client.PushOkAsync("alice/b/c", Image(seed: 3), "v1");
        await bob.PushOkAsync("bob/tool", Image(seed: 4), "v1");
    }

    private static async Task<string[]> ListAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await RepositoriesAsync(response);
    }

    private static async Task<string[]> RepositoriesAsync(HttpResponseMessage response)
        => [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!["repositories"]!.AsArray().Select(r => r!.GetValue<string>())];
}
