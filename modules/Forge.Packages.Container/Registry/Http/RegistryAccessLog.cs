using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>
/// The registry's access log: one line at Information per request (the token endpoint's included) in its own
/// category, <see cref="Category"/>, so that operators can route or silence it: method, path without the query,
/// status, response bytes, duration in milliseconds, account (or <c>-</c>), client address and user agent. Never
/// the query (a token request's), a header with credentials or a token.
/// </summary>
internal sealed partial class RegistryAccessLog(ILoggerFactory loggers)
{
    public const string Category = "Forge.Registry.Access";

    private const int MaxUserAgent = 200;

    private readonly ILogger logger = loggers.CreateLogger(Category);

    public void Write(HttpContext context, long bytes, TimeSpan duration)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        LogRequest(
            context.Request.Method,
            (context.Request.PathBase + context.Request.Path).ToString(),
            context.Response.StatusCode,
            bytes,
            Math.Round(duration.TotalMilliseconds, 1).ToString("0.0", CultureInfo.InvariantCulture),
            RegistryAccess.CallerName(context) ?? "-",
            RegistryAccess.ClientAddress(context),
            Printable(context.Request.Headers.UserAgent.ToString()));
    }

    // One line whatever the client sent: no control characters or quotes, a bounded length.
    private static string Printable(string userAgent)
    {
        if (userAgent.Length == 0)
        {
            return "-";
        }

        var shown = userAgent.Length > MaxUserAgent ? userAgent[..MaxUserAgent] : userAgent;
        return string.Create(shown.Length, shown, (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = char.IsControl(text[i]) || text[i] == '"' ? '_' : text[i];
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{Method} {Path} {Status} {ResponseBytes} {DurationMs}ms {Account} {ClientAddress} \"{UserAgent}\"")]
    private partial void LogRequest(string method, string path, int status, long responseBytes, string durationMs, string account, string clientAddress, string userAgent);
}
