using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Accounts;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.RulesApi;

/// <summary>
/// A forge run host for each test (real HTTP, real PostgreSQL, the admin token set) with the account alice, and the
/// calls of the package rules' API as a client makes them.
/// </summary>
public abstract class RulesApiTest
{
    protected const string AdminToken = "admin-token-7c41e0b9d2";
    protected const string AlicePassword = "alice-secret-5f0e2c";
    protected const string BobPassword = "bob-secret-93ad71";

    protected RegistryWorld World { get; private set; } = null!;

    protected Account Alice { get; private set; } = null!;

    /// <summary>A client with alice's credentials.</summary>
    protected HttpClient AsAlice { get; private set; } = null!;

    /// <summary>A client with the admin token.</summary>
    protected HttpClient AsAdmin { get; private set; } = null!;

    /// <summary>Settings of the host besides the admin token.</summary>
    protected virtual (string Key, string? Value)[] Settings => [];

    [SetUp]
    public async Task StartForge()
    {
        World = await RegistryWorld.StartAsync([("Forge:Admin:Token", AdminToken), .. Settings]);
        Alice = await World.AddAccountAsync("alice", AlicePassword);
        AsAlice = World.Client("alice", AlicePassword);
        AsAdmin = World.Client();
        AsAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", AdminToken);
    }

    [TearDown]
    public async Task StopForge()
    {
        AsAlice.Dispose();
        AsAdmin.Dispose();
        await World.DisposeAsync();
    }

    protected static string Rules(string owner) => $"/api/v1/packages/{owner}/rules";

    protected static string Rule(string owner, long id) => $"{Rules(owner)}/{id}";

    protected static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    protected static Task<HttpResponseMessage> PostAsync(HttpClient client, string owner, string json) => client.PostAsync(Rules(owner), Json(json));

    protected static Task<HttpResponseMessage> PatchAsync(HttpClient client, string owner, long id, string json) => client.PatchAsync(Rule(owner, id), Json(json));

    /// <summary>Creates a rule and returns its id, asserting 201.</summary>
    protected static async Task<long> CreateAsync(HttpClient client, string owner, string json)
    {
        using var response = await PostAsync(client, owner, json);
        var body = await BodyAsync(response, HttpStatusCode.Created);
        return (long)body["id"]!;
    }

    /// <summary>The answer's JSON, asserting its status.</summary>
    protected static async Task<JsonNode> BodyAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), text);
        return JsonNode.Parse(text)!;
    }

    protected async Task<Account> AddBobAsync() => await World.AddAccountAsync("bob", BobPassword);

    /// <summary>Pushes a single-platform image through the registry's write path, created <paramref name="daysAgo"/> days ago.</summary>
    protected async Task<PushedManifest> PushAsync(Account owner, string image, string tag, int daysAgo)
        => await World.World.Service<SyntheticImages>().PushImageAsync(
            owner.Id, $"{owner.Name}/{image}", tag, "linux/amd64",
            new ImageBlob(Encoding.UTF8.GetBytes($"{{\"tag\":\"{tag}\",\"nonce\":\"{Guid.NewGuid():N}\"}}"), ImageMediaTypes.OciConfig),
            [new ImageBlob(RandomNumberGenerator.GetBytes(256), ImageMediaTypes.OciLayer)],
            DateTimeOffset.UtcNow.AddDays(-daysAgo).ToUnixTimeSeconds());

    /// <summary>Each version of the preview's report with its decision, as <c>package:version decision</c>, in order, separated by <c>; </c>.</summary>
    protected static string Decisions(JsonNode report)
        => string.Join("; ", report["rules"]!.AsArray().SelectMany(r => r!["versions"]!.AsArray())
            .Select(v => $"{(string?)v!["package"]}:{(string?)v["version"]} {(string?)v["decision"]}").Order(StringComparer.Ordinal));
}
