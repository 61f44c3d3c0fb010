using System.Text.RegularExpressions;

namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// cosign's tag scheme from before OCI 1.1 referrers: the signature, attestation or SBOM of the manifest
/// <c>sha256:&lt;hex&gt;</c> is pushed as the tag <c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c> or <c>.sbom</c> of the same
/// repository. The name is all that links it to its subject.
/// </summary>
public static partial class CosignReferrerTags
{
    private static readonly string[] Suffixes = [".sig", ".att", ".sbom"];

    /// <summary>The subject digest (lower case) a tag's name stands for, or null when the name is not of the scheme.</summary>
    public static string? SubjectOf(string tag)
    {
        var match = TagPattern().Match(tag);
        return match.Success ? ContainerLayout.DigestPrefix + match.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>The (lower-case) tags of the scheme that would name <paramref name="digest"/> as their subject.</summary>
    public static string[] NamesFor(string digest)
    {
        var hex = digest.Trim().ToLowerInvariant();
        hex = hex.StartsWith(ContainerLayout.DigestPrefix, StringComparison.Ordinal) ? hex[ContainerLayout.DigestPrefix.Length..] : hex;
        return [.. Suffixes.Select(suffix => "sha256-" + hex + suffix)];
    }

    [GeneratedRegex(@"^sha256-([0-9a-f]{64})\.(sig|att|sbom)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex TagPattern();
}
