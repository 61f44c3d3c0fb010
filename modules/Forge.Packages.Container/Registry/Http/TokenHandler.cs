using System.Globalization;
using System.Text.Json.Nodes;
using Forge.Packages.Container.Registry.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// <c>GET /v2/token?service=…&amp;scope=…</c>: the token endpoint of the Docker registry token specification. With
/// HTTP Basic credentials (a password or an access token) or none (anonymous), it answers a bearer token that grants
/// what of the requested scopes the caller may do (<see cref="RegistryAccess.Grant"/>); <c>account</c>,
/// <c>client_id</c> and <c>offline_token</c> are accepted and ignored (no refresh tokens).
/// </summary>
internal sealed class TokenHandler(RegistryAccess access, RegistryTokens tokens, RegistrySettings settings)
{
    public async Task IssueAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        if (query.TryGetValue("service", out var service) && service.Count > 0 && !string.IsNullOrEmpty(service[0])
            && !string.Equals(service[0], settings.Tokens.Service, StringComparison.Ordinal))
        {
            var shown = service[0]!.Length > 80 ? service[0]![..80] + "…" : service[0];
            throw new RegistryFailureException(RegistryFailure.ScopeInvalid, $"service '{shown}' is not this registry's: it is '{settings.Tokens.Service}'");
        }

        // The scopes first: a malformed one is the caller's mistake whoever asks.
        var requested = TokenScope.ParseAll(query["scope"]);
        var credential = await access.AuthenticateTokenRequestAsync(context, cancellationToken);
        var issued = await tokens.IssueAsync(credential?.Account.Name, credential?.AccessTokenId, access.Grant(credential, requested), cancellationToken);

        var body = new JsonObject
        {
            ["token"] = issued.Token,
            ["access_token"] = issued.Token,
            ["expires_in"] = (long)issued.ExpiresIn.TotalSeconds,
            ["issued_at"] = issued.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        }.ToJsonString();
        context.Response.Headers[HeaderNames.CacheControl] = "no-store";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, cancellationToken);
    }
}
