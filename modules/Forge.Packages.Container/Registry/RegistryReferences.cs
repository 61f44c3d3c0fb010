using System.Text.RegularExpressions;
using Forge.Packages.Content;

namespace Forge.Packages.Container.Registry;

/// <summary>The names, tags and digests of the distribution specification, checked before anything is read or written.</summary>
public static partial class RegistryReferences
{
    /// <summary>The longest repository name: package.name is VARCHAR(255) and the property holds the whole name.</summary>
    public const int MaxNameLength = 255;

    public static RepositoryName ParseName(string name)
    {
        if (name.Length > MaxNameLength)
        {
            throw RegistryFailureException.NameInvalid($"repository name is {name.Length} characters long; the limit is {MaxNameLength}");
        }

        if (!NamePattern().IsMatch(name))
        {
            throw RegistryFailureException.NameInvalid(
                $"'{Shorten(name)}' is not a repository name: lower-case path components of letters and digits, separated by '.', '_', '__' or '-'");
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw RegistryFailureException.NameInvalid($"'{name}' has no owner: images live under an account, as <owner>/{name}");
        }

        return new RepositoryName(name[..slash], name[(slash + 1)..]);
    }

    public static bool IsDigest(string reference) => reference.Contains(':', StringComparison.Ordinal);

    /// <summary>A <c>sha256:&lt;64 hex&gt;</c> digest, lower-cased; anything else is DIGEST_INVALID.</summary>
    public static string ParseDigest(string? digest)
    {
        if (string.IsNullOrEmpty(digest))
        {
            throw RegistryFailureException.DigestInvalid("a digest is required (sha256:<64 hex digits>)");
        }

        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !AlgorithmPattern().IsMatch(digest[..colon]))
        {
            throw RegistryFailureException.DigestInvalid($"'{Shorten(digest)}' is not a digest (sha256:<64 hex digits>)");
        }

        if (!string.Equals(digest[..colon], "sha256", StringComparison.Ordinal))
        {
            throw RegistryFailureException.DigestInvalid($"digest algorithm '{Shorten(digest[..colon])}' is not supported; this registry uses sha256");
        }

        var hex = digest[(colon + 1)..];
        if (!ContentStoreHex(hex.ToLowerInvariant()))
        {
            throw RegistryFailureException.DigestInvalid($"'{Shorten(digest)}' is not a sha256 digest: it needs 64 hex digits");
        }

        return DigestOf(hex.ToLowerInvariant());
    }

    public static string ParseTag(string tag)
    {
        if (!TagPattern().IsMatch(tag))
        {
            throw RegistryFailureException.TagInvalid(
                $"'{Shorten(tag)}' is not a tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }

        if (string.Equals(tag, ContainerLayout.UploadVersion, StringComparison.OrdinalIgnoreCase))
        {
            throw RegistryFailureException.TagInvalid($"'{ContainerLayout.UploadVersion}' is reserved for uploaded blobs; choose another tag");
        }

        return tag;
    }

    /// <summary>The hex of a parsed digest (what the content store and package_blob key by).</summary>
    public static string HexOf(string digest) => digest[ContainerLayout.DigestPrefix.Length..];

    /// <summary>The digest of content with this SHA-256 hex.</summary>
    public static string DigestOf(string hex) => ContainerLayout.DigestPrefix + hex;

    private static bool ContentStoreHex(string hex) => ContentKeys.IsSha256Hex(hex);

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..80] + "…";

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:[+._-][a-z0-9]+)*$")]
    private static partial Regex AlgorithmPattern();
}
