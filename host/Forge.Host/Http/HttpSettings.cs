using Microsoft.Extensions.Configuration;

namespace Forge.Host.Http;

/// <summary>
/// What <c>forge run</c> serves over HTTP: <c>Forge:Http:Urls</c> (where it listens) and
/// <c>Forge:Admin:Token</c> (the admin API's token; none = the admin API is off). Validated at start-up.
/// </summary>
public sealed class HttpSettings
{
    public const string UrlsKey = "Forge:Http:Urls";
    public const string AdminTokenKey = "Forge:Admin:Token";
    public const string DefaultUrls = "http://127.0.0.1:3000";

    private HttpSettings(IReadOnlyList<string> urls, string? adminToken)
    {
        Urls = urls;
        AdminToken = adminToken;
    }

    /// <summary>The addresses to listen on, e.g. <c>http://127.0.0.1:3000</c>, <c>http://0.0.0.0:3000</c>, <c>http://[::1]:0</c> (0: any free port).</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>The admin API's token; null when it is not configured (the admin API is off).</summary>
    public string? AdminToken { get; }

    public static HttpSettings Read(IConfiguration configuration)
    {
        var text = configuration[UrlsKey];
        var urls = string.IsNullOrWhiteSpace(text)
            ? [DefaultUrls]
            : text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => ValidUrl(text, u)).ToList();
        if (urls.Count == 0)
        {
            throw new ForgeConfigurationException($"{UrlsKey} is '{text}': it names no URL (e.g. {DefaultUrls}; several are separated by ';').");
        }

        var token = configuration[AdminTokenKey];
        if (string.IsNullOrEmpty(token))
        {
            return new HttpSettings(urls, null);
        }

        // The header's value is trimmed and split at spaces: a token with white space could never match.
        // The message never shows the token.
        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ForgeConfigurationException($"{AdminTokenKey} contains white space or control characters: a token is one word (e.g. the output of 'openssl rand -hex 32').");
        }

        return new HttpSettings(urls, token);
    }

    private static string ValidUrl(string text, string url)
    {
        // Kestrel's wildcards (http://*:3000, http://+:3000) are no URI hosts: check the rest with a stand-in.
        var checkable = url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal);
        if (!Uri.TryCreate(checkable, UriKind.Absolute, out var uri) || !uri.IsWellFormedOriginalString())
        {
            throw Bad($"'{url}' is not a URL");
        }

        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            throw Bad($"'{url}' is not http:// (Forge serves plain HTTP; put a TLS proxy in front of it)");
        }

        // Kestrel listens on every interface for a host name other than localhost: an operator who wrote
        // one name would serve the admin API on all of them. Addresses, localhost and the wildcards only.
        if (uri.Host is not ("wildcard" or "localhost") && !System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
        {
            throw Bad($"'{url}' names the host '{uri.Host}', and Kestrel would listen on every interface for it; give an address (127.0.0.1, 0.0.0.0, [::1]) or localhost");
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw Bad($"'{url}' has more than a host and a port");
        }

        return url.TrimEnd('/');

        ForgeConfigurationException Bad(string why)
            => new($"{UrlsKey} is '{text}': {why}; expected e.g. {DefaultUrls}, http://0.0.0.0:3000 or http://[::1]:3000 (several separated by ';').");
    }
}
