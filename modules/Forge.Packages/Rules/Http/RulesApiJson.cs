using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Forge.Modularity;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Rules.Http;

/// <summary>
/// The rules' API's JSON: snake_case names, as Forgejo's API; errors as Forgejo's <c>{"message": "..."}</c> with the
/// <c>field</c> that is wrong or the <c>rule_id</c> in the way; a 401 names both ways in (Basic and the admin token).
/// </summary>
internal static class RulesApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Messages quote patterns and names: 'v(1' reads better than \u0027v(1\u0027. Never HTML, so nothing to escape for it.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The challenges of a 401: an account's Basic credentials, or the admin token.</summary>
    public static readonly string[] Challenges = ["Basic realm=\"Forge\", charset=\"UTF-8\"", "token"];

    public static Task WriteAsync<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, Options, context.RequestAborted);
    }

    /// <summary>Answers with the refusal, unless the answer has started (then the connection just ends).</summary>
    public static Task ErrorAsync(HttpContext context, RulesApiException refusal)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = Challenges;
        }

        if (refusal.RetryAfter is { } retryAfter)
        {
            context.Response.Headers[HeaderNames.RetryAfter] = RetryAfterSeconds.Format(retryAfter);
        }

        return WriteAsync(context, refusal.Status, new ErrorBody(refusal.Message, refusal.Field, refusal.RuleId));
    }

    private sealed record ErrorBody(
        string Message,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Field,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RuleId);
}
