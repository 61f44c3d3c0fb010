using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Container.Registry;

/// <summary>
/// The settings of the registry's token flow: <c>Forge:Registry:TokenService</c> (the <c>service</c> of the
/// challenge and the tokens' audience, default <c>container_registry</c> as Forgejo), <c>Forge:Registry:BaseUrl</c>
/// (where clients reach Forge, for the challenge's realm; default: the request's scheme and Host),
/// <c>Forge:Registry:TokenLifetime</c> (default 15m, from 1m to 24h), <c>Forge:Registry:TokenKeyReload</c> (how often
/// a node re-reads the signing keys, default 1m, from 1s to 1h) and <c>Forge:Registry:TokenSigningKey</c> (base64 of at
/// least 32 bytes; when given, the one signing key instead of the database's). Its text never shows the key.
/// </summary>
public sealed class RegistryTokenSettings
{
    public const string ServiceKey = "Forge:Registry:TokenService";
    public const string BaseUrlKey = "Forge:Registry:BaseUrl";
    public const string LifetimeKey = "Forge:Registry:TokenLifetime";
    public const string KeyReloadKey = "Forge:Registry:TokenKeyReload";
    public const string SigningKeyKey = "Forge:Registry:TokenSigningKey";

    public const string DefaultService = "container_registry";
    public const int MinimumSigningKeyBytes = 32;

    private readonly byte[]? signingKey;

    public RegistryTokenSettings(string service, Uri? baseUrl, TimeSpan lifetime, TimeSpan keyReload, byte[]? signingKey)
    {
        Service = service;
        BaseUrl = baseUrl;
        Lifetime = lifetime;
        KeyReload = keyReload;
        this.signingKey = signingKey;
    }

    public static TimeSpan DefaultLifetime { get; } = TimeSpan.FromMinutes(15);
    public static TimeSpan MinimumLifetime { get; } = TimeSpan.FromMinutes(1);
    public static TimeSpan MaximumLifetime { get; } = TimeSpan.FromHours(24);
    public static TimeSpan DefaultKeyReload { get; } = TimeSpan.FromMinutes(1);

    public string Service { get; }

    public Uri? BaseUrl { get; }

    public TimeSpan Lifetime { get; }

    public TimeSpan KeyReload { get; }

    /// <summary>The configured signing key; null when the keys are the database's.</summary>
    public ReadOnlyMemory<byte>? SigningKey => signingKey is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(signingKey);

    public static RegistryTokenSettings Read(IConfiguration configuration)
        => new(
            ReadService(configuration),
            ReadBaseUrl(configuration),
            ModuleSettings.Duration(configuration, LifetimeKey, DefaultLifetime, MinimumLifetime, MaximumLifetime),
            ModuleSettings.Duration(configuration, KeyReloadKey, DefaultKeyReload, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            ReadSigningKey(configuration));

    public override string ToString() => $"service {Service}, lifetime {GoDuration.Format(Lifetime)}, {(signingKey is null ? "keys from the database" : "a configured key")}";

    private static string ReadService(IConfiguration configuration)
    {
        var text = configuration[ServiceKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultService;
        }

        // The service is written into a quoted header parameter: no quotes, backslashes or control characters.
        return text.Trim().All(c => c > ' ' && c < 0x7f && c != '"' && c != '\\')
            ? text.Trim()
            : throw new ModuleSettingException($"{ServiceKey} is '{text}': it must be printable ASCII without spaces, quotes or backslashes.");
    }

    private static Uri? ReadBaseUrl(IConfiguration configuration)
    {
        var text = configuration[BaseUrlKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Uri.TryCreate(text.Trim().TrimEnd('/'), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            && string.IsNullOrEmpty(url.Query) && !text.Contains('"', StringComparison.Ordinal)
            ? url
            : throw new ModuleSettingException($"{BaseUrlKey} is '{text}': it must be an absolute http or https URL without a query, e.g. https://forge.example.com.");
    }

    private static byte[]? ReadSigningKey(IConfiguration configuration)
    {
        var text = configuration[SigningKeyKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        // Never the value in the message: it is a secret, however malformed.
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new ModuleSettingException($"{SigningKeyKey} is not base64: give base64 of at least {MinimumSigningKeyBytes} random bytes (e.g. openssl rand -base64 32).");
        }

        return key.Length >= MinimumSigningKeyBytes
            ? key
            : throw new ModuleSettingException($"{SigningKeyKey} decodes to {key.Length} bytes: it must be at least {MinimumSigningKeyBytes} random bytes (e.g. openssl rand -base64 32).");
    }
}
