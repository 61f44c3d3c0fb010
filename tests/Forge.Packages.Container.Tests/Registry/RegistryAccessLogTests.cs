using System.Net;
using System.Text;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Testing;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryTokenCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>The registry's access log: one line per request with what operators need, and never a secret at any level.</summary>
[Category("Registry")]
public sealed class RegistryAccessLogTests : RegistryApiTest
{
    private const string Category = "Forge.Registry.Access";

    [Test]
    public async Task Each_request_has_one_line_with_method_path_status_bytes_duration_account_client_and_user_agent()
    {
        var image = Image(seed: 1);
        await Client.PushOkAsync(App, image, "v1");
        var token = await Client.TokenAsync("repository:alice/app:pull");
        using var bearer = Registry.BearerClient(token);
        bearer.DefaultRequestHeaders.UserAgent.ParseAdd("docker/27.0 go/go1.22");

        using var blob = await bearer.GetAsync($"/v2/{App}/blobs/{Digest(image.Layers[0])}");
        using var missing = await bearer.GetAsync($"/v2/{App}/manifests/v9");

        Assert.That(blob.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        // A request's line is written once its answer is sent: wait for the last one.
        await UntilLoggedAsync($"GET /v2/{App}/manifests/v9 404 ");
        var lines = AccessLines();
        Assert.That(lines, Has.Some.Match($@"GET /v2/{App}/blobs/{Digest(image.Layers[0])} 200 {image.Layers[0].Length} \d+\.\dms alice 127\.0\.0\.1 ""docker/27\.0 go/go1\.22"""));
        Assert.That(lines, Has.Some.Match($@"GET /v2/{App}/manifests/v9 404 \d+ \d+\.\dms alice 127\.0\.0\.1 "));
        Assert.That(lines, Has.Some.Match(@"GET /v2/token 200 \d+ \d+\.\dms alice 127\.0\.0\.1 ""-"""));
        Assert.That(lines, Has.Some.Match($@"PUT /v2/{App}/manifests/v1 201 0 \d+\.\dms alice "));
    }

    [Test]
    public async Task An_anonymous_request_is_logged_with_a_dash()
    {
        using var anonymous = Registry.Client();

        using var response = await anonymous.GetAsync("/v2/");

        await UntilLoggedAsync("GET /v2/ 401 ");
        Assert.That(AccessLines(), Has.Some.Match(@"GET /v2/ 401 \d+ \d+\.\dms - 127\.0\.0\.1 "));
    }

    [Test]
    public async Task No_password_access_token_JWT_Basic_header_or_query_reaches_any_log_line()
    {
        const string Secret = "alices-other-secret-K9";
        await Registry.AddAccountAsync("bob", Secret);
        using var bob = Registry.Client("bob", Secret);
        using var wrong = Registry.Client("alice", Secret);
        await Client.PushOkAsync(App, Image(seed: 1), "v1");
        var token = await bob.TokenAsync("repository:alice/app:pull", "registry:catalog:*");
        using var bearer = Registry.BearerClient(token);
        using var pulled = await bearer.GetAsync($"/v2/{App}/manifests/v1");
        using var catalog = await bearer.GetAsync("/v2/_catalog?n=1");
        using var refused = await wrong.RequestTokenAsync("repository:alice/app:pull");
        using var tampered = Registry.BearerClient(token[..^4] + "AAAA");
        using var badToken = await tampered.GetAsync($"/v2/{App}/manifests/v1");
        Assert.That(pulled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(badToken.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        await UntilLoggedAsync($"GET /v2/{App}/manifests/v1 401 ");
        var logs = Registry.Logs;
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"bob:{Secret}"));
        Assert.That(AccessLines(), Has.Some.Contains("GET /v2/_catalog 200"));
        Assert.That(logs, Does.Not.Contain(Secret));
        Assert.That(logs, Does.Not.Contain(basic));
        Assert.That(logs, Does.Not.Contain(token.Split('.')[1]), "the JWT's payload");
        Assert.That(logs, Does.Not.Contain(token.Split('.')[2]), "the JWT's signature");
        // The access log never carries a query (ASP.NET Core's own request log at Information does, without credentials).
        Assert.That(AccessLines(), Has.None.Contains("?").And.None.Contains("scope=").And.None.Contains("n=1"));
        var secret = (await Registry.CurrentKeyAsync()).Secret;
        Assert.That(logs, Does.Not.Contain(Convert.ToBase64String(secret)).And.Not.Contain(Convert.ToHexString(secret)));
    }

    private Task UntilLoggedAsync(string text) => Wait.UntilAsync(() => Task.FromResult(AccessLines().Any(l => l.Contains(text, StringComparison.Ordinal))));

    private string[] AccessLines() => [.. Registry.Logs.Split('\n').Where(l => l.StartsWith($"Information {Category} ", StringComparison.Ordinal))];
}
