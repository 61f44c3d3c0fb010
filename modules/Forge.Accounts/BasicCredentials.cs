using System.Text;

namespace Forge.Accounts;

/// <summary>
/// The name and password of an HTTP Basic <c>Authorization</c> header (RFC 7617: base64 of UTF-8 <c>name:password</c>),
/// for the endpoints that authenticate accounts (the registry, the package rules' API). Its text never shows the
/// password, so that no log or error can carry one.
/// </summary>
public sealed class BasicCredentials
{
    public const string Scheme = "Basic";

    private BasicCredentials(string name, string password)
    {
        Name = name;
        Password = password;
    }

    public string Name { get; }

    public string Password { get; }

    /// <summary>Both name and password are empty: a client that sends credentials of nobody (anonymous).</summary>
    public bool IsEmpty => Name.Length == 0 && Password.Length == 0;

    /// <summary>Both name and password are given: only then can they verify.</summary>
    public bool IsComplete => Name.Length > 0 && Password.Length > 0;

    /// <summary>True when <paramref name="authorization"/> is of the Basic scheme, whatever its value.</summary>
    public static bool IsBasic(string authorization) => authorization.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The credentials of a Basic header (<see cref="IsBasic"/>); null when its value is not base64 of UTF-8. A value
    /// without a colon is a name with an empty password.
    /// </summary>
    public static BasicCredentials? Decode(string authorization)
    {
        string pair;
        try
        {
            pair = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(authorization[(Scheme.Length + 1)..].Trim()));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return null;
        }

        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new BasicCredentials(pair, string.Empty) : new BasicCredentials(pair[..colon], pair[(colon + 1)..]);
    }

    /// <summary>Never the name either: a password typed into the name field is still a password.</summary>
    public override string ToString() => "Basic credentials";
}
