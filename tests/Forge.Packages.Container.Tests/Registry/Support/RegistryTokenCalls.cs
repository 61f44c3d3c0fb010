using System.Net;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Forge.Packages.Container.Tests.Registry.Support;

/// <summary>The token endpoint as clients call it, what its tokens say, and tokens made as an attacker would.</summary>
public static class RegistryTokenCalls
{
    /// <summary><c>GET /v2/token</c> with these scopes (each a <c>scope</c> parameter), as docker asks.</summary>
    public static Task<HttpResponseMessage> RequestTokenAsync(this HttpClient client, params string[] scopes)
        => client.GetAsync("/v2/token?service=container_registry&client_id=docker" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s))));

    /// <summary>The token of a 200 answer to <see cref="RequestTokenAsync"/>.</summary>
    public static async Task<string> TokenAsync(this HttpClient client, params string[] scopes)
    {
        using var response = await client.RequestTokenAsync(scopes);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonNode.Parse(body)!["token"]!.GetValue<string>();
    }

    /// <summary>The token's <c>access</c> claim as <c>type:name:actions</c> texts (actions sorted).</summary>
    public static string[] Access(string token)
    {
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(new JsonWebToken(token).EncodedPayload))!;
        return [.. payload["access"]!.AsArray().Select(a =>
            $"{a!["type"]}:{a["name"]}:{string.Join(',', a["actions"]!.AsArray().Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal))}")];
    }

    /// <summary>The current signing key of the registry's tokens, as the database keeps it.</summary>
    public static async Task<(string Kid, byte[] Secret)> CurrentKeyAsync(this RegistryWorld registry)
    {
        var kid = await registry.World.ScalarAsync<string>("SELECT kid FROM forge_registry_token_key WHERE is_current");
        var secret = await registry.World.ScalarAsync<byte[]>("SELECT secret FROM forge_registry_token_key WHERE is_current");
        return (kid!, secret!);
    }

    /// <summary>A token signed with <paramref name="secret"/> under <paramref name="kid"/>, saying what the test wants.</summary>
    public static string SignToken(
        string kid, byte[] secret, string subject, string access, string audience = "container_registry", string issuer = "forge",
        TimeSpan? expiresIn = null, DateTimeOffset? issuedAt = null)
    {
        var parts = access.Split(':');
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (expiresIn ?? TimeSpan.FromMinutes(5))).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["access"] = new List<object>
                {
                    new Dictionary<string, object> { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = parts[2].Split(',').ToList() },
                },
            },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secret) { KeyId = kid }, SecurityAlgorithms.HmacSha256),
        });
    }
}
