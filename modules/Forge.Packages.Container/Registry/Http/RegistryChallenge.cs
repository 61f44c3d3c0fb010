using Microsoft.AspNetCore.Http;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// The <c>WWW-Authenticate</c> of the registry's 401 answers. The registry challenges
/// <c>Bearer realm="&lt;base&gt;/v2/token",service="…"</c>, with the scope the request needed and, for a token that
/// did not do, <c>error="invalid_token"</c> or <c>error="insufficient_scope"</c>; the token endpoint itself
/// challenges Basic. The base is <c>Forge:Registry:BaseUrl</c>, else the request's scheme and Host.
/// </summary>
internal sealed class RegistryChallenge(RegistrySettings settings)
{
    public const string BasicRealm = "Forge registry";

    /// <summary>Where clients get tokens: <c>&lt;base&gt;/v2/token</c>.</summary>
    public string Realm(HttpRequest request)
    {
        var baseUrl = settings.Tokens.BaseUrl is { } configured
            ? configured.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : $"{request.Scheme}://{request.Host.Value?.Replace("\"", string.Empty, StringComparison.Ordinal)}";
        return baseUrl + "/v2/token";
    }

    /// <summary>The challenge of a refusal on <paramref name="route"/>; null for a refusal that is no 401.</summary>
    public string? For(HttpContext context, RouteKind route, RegistryFailureException failure)
    {
        if (failure.Failure is not (RegistryFailure.Unauthorized or RegistryFailure.InvalidToken or RegistryFailure.InsufficientScope))
        {
            return null;
        }

        if (route == RouteKind.Token)
        {
            return $"Basic realm=\"{BasicRealm}\", charset=\"UTF-8\"";
        }

        var challenge = $"Bearer realm=\"{Realm(context.Request)}\",service=\"{settings.Tokens.Service}\"";
        if (failure.ChallengeScope is { } scope)
        {
            challenge += $",scope=\"{scope}\"";
        }

        return failure.Failure switch
        {
            RegistryFailure.InvalidToken => challenge + ",error=\"invalid_token\"",
            RegistryFailure.InsufficientScope => challenge + ",error=\"insufficient_scope\"",
            _ => challenge,
        };
    }
}
