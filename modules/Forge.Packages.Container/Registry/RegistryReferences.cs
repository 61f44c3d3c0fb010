using System.Text.RegularExpressions;

namespace Forge.Packages.Container.Registry;

/// <summary>A repository in the registry: <c>&lt;owner&gt;/&lt;image&gt;</c>; the image may have further path components.</summary>
public sealed record RepositoryName(string Owner, string Image)
{
    public string Full => $"{Owner}/{Image}";

    public override string ToString() => Full;
}

/// <summary>The names, tags and digests of the distribution specification, checked before anything is read or written.</summary>
public static partial class RegistryReferences
{
    /// <summary>The longest repository name: package.name is VARCHAR(255) and the property holds the whole name.</summary>
    public const int MaxNameLength = 255;

    /// <summary>The internal version holding uploaded blobs that no manifest uses yet: never a tag.</summary>
    public const string UploadVersion = "_upload";

    public static RepositoryName ParseName(string name)
    {
        if (name.Length > MaxNameLength)
        {
            throw RegistryException.NameInvalid($"repository name is {name.Length} characters long; the limit is {MaxNameLength}");
        }

        if (!NamePattern().IsMatch(name))
        {
            throw RegistryException.NameInvalid(
                $"'{Shorten(name)}' is not a repository name: lower-case path components of letters and digits, separated by '.', '_', '__' or '-'");
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            throw RegistryException.NameInvalid($"'{name}' has no owner: images live under an account, as <owner>/{name}");
        }

        return new RepositoryName(name[..slash], name[(slash + 1)..]);
    }

    public static bool IsDigest(string reference) => reference.Contains(':', StringComparison.Ordinal);

    /// <summary>A <c>sha256:&lt;64 hex&gt;</c> digest, lower-cased; anything else is DIGEST_INVALID.</summary>
    public static string ParseDigest(string? digest)
    {
        if (string.IsNullOrEmpty(digest))
        {
            throw RegistryException.DigestInvalid("a digest is required (sha256:<64 hex digits>)");
        }

        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !AlgorithmPattern().IsMatch(digest[..colon]))
        {
            throw RegistryException.DigestInvalid($"'{Shorten(digest)}' is not a digest (sha256:<64 hex digits>)");
        }

        if (!string.Equals(digest[..colon], "sha256", StringComparison.Ordinal))
        {
            throw RegistryException.DigestInvalid($"digest algorithm '{Shorten(digest[..colon])}' is not supported; this registry uses sha256");
        }

        var hex = digest[(colon + 1)..];
        if (!ContentStoreHex(hex.ToLowerInvariant()))
        {
            throw RegistryException.DigestInvalid($"'{Shorten(digest)}' is not a sha256 digest: it needs 64 hex digits");
        }

        return "sha256:" + hex.ToLowerInvariant();
    }

    public static string ParseTag(string tag)
    {
        if (!TagPattern().IsMatch(tag))
        {
            throw RegistryException.TagInvalid(
                $"'{Shorten(tag)}' is not a tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
        }

        if (string.Equals(tag, UploadVersion, StringComparison.OrdinalIgnoreCase))
        {
            throw RegistryException.TagInvalid($"'{UploadVersion}' is reserved for uploaded blobs; choose another tag");
        }

        return tag;
    }

    public static string HexOf(string digest) => digest["sha256:".Length..];

    private static bool ContentStoreHex(string hex) => Forge.Packages.ContentStore.IsSha256Hex(hex);

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..80] + "…";

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:[+._-][a-z0-9]+)*$")]
    private static partial Regex AlgorithmPattern();
}
