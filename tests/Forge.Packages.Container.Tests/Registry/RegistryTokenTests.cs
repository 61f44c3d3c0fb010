using System.Net;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Tests.Registry.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryTokenCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// The token flow: the ping's Bearer challenge, what <c>/v2/token</c> grants to whom, bearer tokens on registry
/// requests, and the tokens refused with the challenge that says why.
/// </summary>
[Category("Registry")]
public sealed class RegistryTokenTests : RegistryApiTest
{
    private string Realm => $"{Registry.Address.GetLeftPart(UriPartial.Authority)}/v2/token";

    [Test]
    public async Task The_ping_without_credentials_challenges_Bearer_with_the_token_endpoint_and_the_service()
    {
        using var anonymous = Registry.Client();

        using var response = await anonymous.GetAsync("/v2/");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"), Is.EqualTo($"Bearer realm=\"{Realm}\",service=\"container_registry\""));
    }

    [Test]
    public async Task A_configured_base_url_and_service_are_the_realm_and_service_of_the_challenge()
    {
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:BaseUrl", "https://forge.example.com/"), ("Forge:Registry:TokenService", "forge.example"));
        using var anonymous = registry.Client();

        using var response = await anonymous.GetAsync("/v2/");

        Assert.That(Header(response, "WWW-Authenticate"), Is.EqualTo("Bearer realm=\"https://forge.example.com/v2/token\",service=\"forge.example\""));
    }

    [Test]
    public async Task Docker_login_gets_a_token_without_scope_that_says_who_for_whom_and_until_when()
    {
        using var response = await Client.GetAsync("/v2/token?account=alice&client_id=docker&offline_token=true&service=container_registry");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(response, "Cache-Control"), Is.EqualTo("no-store"));
        var token = body["token"]!.GetValue<string>();
        Assert.That(body["access_token"]!.GetValue<string>(), Is.EqualTo(token));
        Assert.That(body["expires_in"]!.GetValue<long>(), Is.EqualTo(900));
        var issuedAt = DateTimeOffset.Parse(body["issued_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(issuedAt, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
        var jwt = new JsonWebToken(token);
        Assert.That(jwt.Alg, Is.EqualTo("HS256"));
        Assert.That(jwt.Kid, Is.EqualTo((await Registry.CurrentKeyAsync()).Kid));
        Assert.That(jwt.Issuer, Is.EqualTo("forge"));
        Assert.That(jwt.Subject, Is.EqualTo("alice"));
        Assert.That(string.Join(' ', jwt.Audiences), Is.EqualTo("container_registry"));
        Assert.That(jwt.ValidTo - jwt.IssuedAt, Is.EqualTo(TimeSpan.FromMinutes(15)));
        Assert.That(jwt.ValidFrom, Is.EqualTo(jwt.IssuedAt));
        Assert.That(jwt.Id, Is.Not.Empty);
        Assert.That(Access(token), Is.Empty);
    }

    [Test]
    public async Task The_owner_gets_pull_and_push_another_account_only_pull_and_the_catalog_goes_to_accounts()
    {
        await Registry.AddAccountAsync("bob", "bobs-pw");
        using var bob = Registry.Client("bob", "bobs-pw");
        string[] scopes = ["repository:alice/app:pull,push", "repository:bob/tool:*", "registry:catalog:*"];

        var alices = await Client.TokenAsync(scopes);
        var bobs = await bob.TokenAsync(scopes);

        Assert.That(string.Join(' ', Access(alices)), Is.EqualTo("repository:alice/app:pull,push repository:bob/tool:pull registry:catalog:*"));
        Assert.That(string.Join(' ', Access(bobs)), Is.EqualTo("repository:alice/app:pull repository:bob/tool:delete,pull,push registry:catalog:*"));
    }

    [Test]
    public async Task Repeated_scopes_and_scopes_in_one_parameter_are_merged_per_repository()
    {
        var token = await Client.TokenAsync("repository:alice/app:pull repository:alice/app:push", "repository:alice/app:pull");

        Assert.That(string.Join(' ', Access(token)), Is.EqualTo("repository:alice/app:pull,push"));
    }

    [Test]
    public async Task Without_anonymous_pull_an_anonymous_token_grants_nothing()
    {
        using var anonymous = Registry.Client();

        var token = await anonymous.TokenAsync("repository:alice/app:pull", "registry:catalog:*");

        Assert.That(new JsonWebToken(token).Subject, Is.Empty);
        Assert.That(Access(token), Is.Empty);
    }

    [Test]
    public async Task With_anonymous_pull_an_anonymous_token_pulls_and_never_pushes()
    {
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:AnonymousPull", "true"));
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        var image = Image(seed: 1);
        await alice.PushOkAsync(App, image, "v1");
        using var anonymous = registry.Client();

        var token = await anonymous.TokenAsync("repository:alice/app:pull,push");
        using var bearer = registry.BearerClient(token);
        using var pulled = await bearer.GetAsync($"/v2/{App}/manifests/v1");
        using var pushed = await bearer.PutManifestAsync(App, "v2", image.Manifest, image.MediaType);

        Assert.That(string.Join(' ', Access(token)), Is.EqualTo("repository:alice/app:pull"));
        Assert.That(pulled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await AssertErrorAsync(pushed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(pushed, "WWW-Authenticate"), Does.EndWith(",scope=\"repository:alice/app:push\",error=\"insufficient_scope\""));
    }

    [Test]
    public async Task Wrong_credentials_at_the_token_endpoint_are_401_and_challenge_Basic()
    {
        using var wrong = Registry.Client("alice", "not-her-password");

        using var response = await wrong.RequestTokenAsync("repository:alice/app:pull");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"), Does.StartWith("Basic realm="));
    }

    [TestCase("repository:alice/app", "is not type:name:actions")]
    [TestCase("repository:alice/app:fly", "'fly' is not an action")]
    [TestCase("repository:Alice/App:pull", "is not a repository name")]
    [TestCase("repository:alice/app:", "names no action")]
    [TestCase("registry:catalog:pull", "the only registry scope is registry:catalog:*")]
    [TestCase("user:alice:pull", "the type must be repository or registry")]
    public async Task A_malformed_scope_is_400_with_a_message_that_says_what_is_wrong(string scope, string message)
    {
        using var response = await Client.RequestTokenAsync(scope);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "UNSUPPORTED");
        Assert.That(await MessageAsync(response), Does.Contain(message));
    }

    [Test]
    public async Task A_token_for_another_service_is_not_asked_here()
    {
        using var response = await Client.GetAsync("/v2/token?service=registry.docker.io&scope=repository:alice/app:pull");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "UNSUPPORTED");
        Assert.That(await MessageAsync(response), Is.EqualTo("service 'registry.docker.io' is not this registry's: it is 'container_registry'"));
    }

    [Test]
    public async Task A_bearer_token_pushes_and_pulls_what_it_grants_and_nothing_more()
    {
        var image = Image(seed: 1);
        using var pusher = Registry.BearerClient(await Client.TokenAsync("repository:alice/app:pull,push"));
        using var puller = Registry.BearerClient(await Client.TokenAsync("repository:alice/app:pull"));
        using var other = Registry.BearerClient(await Client.TokenAsync("repository:alice/other:pull,push"));

        await pusher.PushOkAsync(App, image, "v1");
        using var pulled = await puller.GetAsync($"/v2/{App}/manifests/v1");
        using var blob = await puller.GetAsync($"/v2/{App}/blobs/{image.ConfigDigest}");
        using var tags = await puller.GetAsync($"/v2/{App}/tags/list");
        using var pushed = await puller.PutManifestAsync(App, "v2", image.Manifest, image.MediaType);
        using var deleted = await puller.DeleteAsync($"/v2/{App}/manifests/v1");
        using var elsewhere = await other.GetAsync($"/v2/{App}/manifests/v1");

        Assert.That(pulled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await pulled.Content.ReadAsByteArrayAsync(), Is.EqualTo(image.Manifest));
        Assert.That(await blob.Content.ReadAsByteArrayAsync(), Is.EqualTo(image.Config));
        Assert.That(tags.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var prefix = $"Bearer realm=\"{Realm}\",service=\"container_registry\"";
        await AssertErrorAsync(pushed, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(pushed, "WWW-Authenticate"), Is.EqualTo(prefix + ",scope=\"repository:alice/app:push\",error=\"insufficient_scope\""));
        await AssertErrorAsync(deleted, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(deleted, "WWW-Authenticate"), Is.EqualTo(prefix + ",scope=\"repository:alice/app:delete\",error=\"insufficient_scope\""));
        Assert.That(Header(elsewhere, "WWW-Authenticate"), Is.EqualTo(prefix + ",scope=\"repository:alice/app:pull\",error=\"insufficient_scope\""));
        Assert.That(await VersionsAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Every_401_of_a_repository_request_challenges_Bearer_with_the_scope_it_needed()
    {
        using var anonymous = Registry.Client();
        var prefix = $"Bearer realm=\"{Realm}\",service=\"container_registry\"";

        using var pull = await anonymous.GetAsync($"/v2/{App}/manifests/v1");
        using var push = await anonymous.PostAsync($"/v2/{App}/blobs/uploads/", null);
        using var delete = await anonymous.DeleteAsync($"/v2/{App}/manifests/v1");

        Assert.That(Header(pull, "WWW-Authenticate"), Is.EqualTo(prefix + ",scope=\"repository:alice/app:pull\""));
        Assert.That(Header(push, "WWW-Authenticate"), Is.EqualTo(prefix + ",scope=\"repository:alice/app:push\""));
        Assert.That(Header(delete, "WWW-Authenticate"), Is.EqualTo(prefix + ",scope=\"repository:alice/app:delete\""));
    }

    [TestCase("expired")]
    [TestCase("not yet valid")]
    [TestCase("tampered")]
    [TestCase("wrong audience")]
    [TestCase("wrong issuer")]
    [TestCase("unknown kid")]
    [TestCase("not a JWT")]
    public async Task A_bad_bearer_token_is_401_invalid_token_and_pulls_nothing(string how)
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await Client.TokenAsync();
        var (kid, secret) = await Registry.CurrentKeyAsync();
        const string Pull = "repository:alice/app:pull";
        var token = how switch
        {
            "expired" => SignToken(kid, secret, "alice", Pull, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-20), expiresIn: TimeSpan.FromMinutes(15)),
            "not yet valid" => SignToken(kid, secret, "alice", Pull, issuedAt: DateTimeOffset.UtcNow.AddMinutes(10)),
            "tampered" => Tamper(await Client.TokenAsync("repository:alice/other:pull")),
            "wrong audience" => SignToken(kid, secret, "alice", Pull, audience: "registry.docker.io"),
            "wrong issuer" => SignToken(kid, secret, "alice", Pull, issuer: "someone-else"),
            "unknown kid" => SignToken("0123456789abcdef", secret, "alice", Pull),
            _ => "not.a.jwt",
        };
        using var bearer = Registry.BearerClient(token);

        using var response = await bearer.GetAsync($"/v2/{App}/manifests/v1");

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"),
            Is.EqualTo($"Bearer realm=\"{Realm}\",service=\"container_registry\",scope=\"repository:alice/app:pull\",error=\"invalid_token\""));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain(token));
    }

    [Test]
    public async Task A_token_made_with_the_right_key_by_the_test_is_accepted_so_the_refusals_above_are_for_what_they_change()
    {
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        await Client.TokenAsync();
        var (kid, secret) = await Registry.CurrentKeyAsync();
        using var bearer = Registry.BearerClient(SignToken(kid, secret, "alice", "repository:alice/app:pull"));

        using var response = await bearer.GetAsync($"/v2/{App}/manifests/v1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_token_that_claims_push_for_someone_not_the_owner_may_not_push()
    {
        await Registry.AddAccountAsync("bob", "bobs-pw");
        await Client.TokenAsync();
        var (kid, secret) = await Registry.CurrentKeyAsync();
        using var bearer = Registry.BearerClient(SignToken(kid, secret, "bob", "repository:alice/app:push"));

        using var response = await bearer.PostAsync($"/v2/{App}/blobs/uploads/", null);

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.That(Header(response, "WWW-Authenticate"), Does.EndWith("error=\"insufficient_scope\""));
    }

    private static async Task<string> MessageAsync(HttpResponseMessage response)
        => JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["message"]!.GetValue<string>();

    private static string Tamper(string token)
    {
        // The payload of another token under this token's signature: the access says alice/app, the signature does not.
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]))!;
        payload["access"]![0]!["name"] = "alice/app";
        return $"{parts[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
    }
}
