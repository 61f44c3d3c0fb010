using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Forge.Packages.Container.Registry.Auth;

/// <summary>What a verified bearer token says: its account (null: anonymous), its access token, what it grants.</summary>
internal sealed record RegistryTokenGrant(string? Subject, long? AccessTokenId, IReadOnlyList<TokenScope> Access)
{
    /// <summary>Whether the token grants <paramref name="action"/> on the resource of <paramref name="scope"/>.</summary>
    public bool Allows(TokenScope scope, string action)
        => Access.Any(a => a.Type == scope.Type && string.Equals(a.Name, scope.Name, StringComparison.Ordinal) && a.Allows(action));
}

/// <summary>A token the token endpoint hands out; its text never shows the token.</summary>
internal sealed record IssuedToken(string Token, TimeSpan ExpiresIn, DateTimeOffset IssuedAt)
{
    public override string ToString() => $"registry token issued at {IssuedAt:O}";
}

/// <summary>
/// The registry's bearer tokens (the Docker registry token specification): JWTs signed with HS256 by the current
/// key of <see cref="TokenSigningKeys"/> (its id in <c>kid</c>), with <c>iss</c> <see cref="Issuer"/>, <c>sub</c> the
/// account's name (empty for anonymous), <c>aud</c> the service, <c>exp</c>, <c>nbf</c>, <c>iat</c>, <c>jti</c>,
/// <c>access</c> (what it grants) and, for a token obtained with an access token, that token's id.
/// </summary>
internal sealed class RegistryTokens(RegistrySettings settings, TokenSigningKeys keys, TimeProvider clock)
{
    public const string Issuer = "forge";
    public const string AccessClaim = "access";
    public const string AccessTokenClaim = "forge_access_token_id";

    /// <summary>How far the clocks of the nodes may disagree: tokens are accepted so long after exp, before nbf.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedToken> IssueAsync(string? subject, long? accessTokenId, IReadOnlyList<TokenScope> access, CancellationToken cancellationToken)
    {
        var key = await keys.CurrentAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var lifetime = settings.Tokens.Lifetime;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = subject ?? string.Empty,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            [AccessClaim] = access.Select(a => new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["type"] = a.Type,
                ["name"] = a.Name,
                ["actions"] = a.Actions.ToList(),
            }).ToList(),
        };
        if (accessTokenId is { } id)
        {
            claims[AccessTokenClaim] = id;
        }

        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = settings.Tokens.Service,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key.Key, SecurityAlgorithms.HmacSha256),
        });
        return new IssuedToken(token, lifetime, now);
    }

    /// <summary>
    /// The grant of a bearer token after checking its key, signature, expiry, audience and issuer; InvalidToken
    /// (challenging for <paramref name="scope"/>) when any fails. The message never carries the token.
    /// </summary>
    public async Task<RegistryTokenGrant> VerifyAsync(string token, string? scope, CancellationToken cancellationToken)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            throw RegistryFailureException.InvalidToken("the bearer token is not a JWT: request a new one", scope);
        }

        if (string.IsNullOrEmpty(jwt.Kid) || await keys.FindAsync(jwt.Kid, cancellationToken) is not { } key)
        {
            throw RegistryFailureException.InvalidToken("the bearer token's signing key is unknown or retired: request a new token", scope);
        }

        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = settings.Tokens.Service,
            IssuerSigningKey = key.Key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        });
        if (!result.IsValid)
        {
            throw RegistryFailureException.InvalidToken(Why(result.Exception), scope);
        }

        return ReadGrant(jwt) ?? throw RegistryFailureException.InvalidToken("the bearer token's access claim is malformed: request a new token", scope);
    }

    private static string Why(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "the bearer token has expired: request a new one",
        SecurityTokenNotYetValidException => "the bearer token is not valid yet",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "the bearer token's signature does not verify",
        SecurityTokenInvalidAudienceException => "the bearer token is for another service",
        SecurityTokenInvalidIssuerException => "the bearer token is from another issuer",
        SecurityTokenInvalidAlgorithmException => "the bearer token is not signed with HS256",
        _ => "the bearer token is not valid: request a new one",
    };

    private static RegistryTokenGrant? ReadGrant(JsonWebToken jwt)
    {
        try
        {
            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
            var root = payload.RootElement;
            var access = new List<TokenScope>();
            if (root.TryGetProperty(AccessClaim, out var entries))
            {
                foreach (var entry in entries.EnumerateArray())
                {
                    access.Add(new TokenScope(
                        entry.GetProperty("type").GetString() ?? string.Empty,
                        entry.GetProperty("name").GetString() ?? string.Empty,
                        [.. entry.GetProperty("actions").EnumerateArray().Select(a => a.GetString() ?? string.Empty)]));
                }
            }

            long? accessTokenId = root.TryGetProperty(AccessTokenClaim, out var id) ? id.GetInt64() : null;
            var subject = root.TryGetProperty(JwtRegisteredClaimNames.Sub, out var sub) ? sub.GetString() : null;
            return new RegistryTokenGrant(string.IsNullOrEmpty(subject) ? null : subject, accessTokenId, access);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException)
        {
            return null;
        }
    }
}
