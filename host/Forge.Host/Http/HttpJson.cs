using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Forge.Host.Http;

/// <summary>The JSON of Forge's HTTP answers: snake_case names as in Forgejo's API, and its error shape.</summary>
internal static class HttpJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Task WriteAsync<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, Options, context.RequestAborted);
    }

    /// <summary>An error as Forgejo's API gives it: <c>{"message": "..."}</c>.</summary>
    public static Task MessageAsync(HttpContext context, int status, string message) => WriteAsync(context, status, new ErrorMessage(message));

    private sealed record ErrorMessage(string Message);
}
