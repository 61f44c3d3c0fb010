namespace Forge.Accounts;

/// <summary>
/// What a Forgejo scope string (<c>access_token.scope</c>: comma-separated scopes such as
/// <c>write:package,read:repository</c>) allows with packages. <c>write:package</c> allows writing (and so
/// reading), <c>read:package</c> reading, <c>all</c> everything; any other scope nothing with packages.
/// </summary>
public static class AccessTokenScopes
{
    public const string ReadPackage = "read:package";
    public const string WritePackage = "write:package";
    public const string All = "all";

    /// <summary>The scopes a token made by Forge may have (<c>--scope</c>).</summary>
    public static IReadOnlyList<string> Grantable { get; } = [ReadPackage, WritePackage];

    /// <summary>What <paramref name="scope"/> allows with packages; null when nothing.</summary>
    public static PackageScope? Packages(string? scope)
    {
        PackageScope? allowed = null;
        foreach (var part in (scope ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is All or WritePackage)
            {
                return PackageScope.Write;
            }

            if (part is ReadPackage)
            {
                allowed = PackageScope.Read;
            }
        }

        return allowed;
    }
}
