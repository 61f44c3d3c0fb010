using System.Text.RegularExpressions;

namespace Forge.Accounts;

/// <summary>
/// What a new user name must look like. It becomes the first path component of image names
/// (<c>alice/app</c>), so it follows the OCI distribution spec's path component and is lower case; and it is
/// none of the names Forgejo reserves (<see cref="ReservedNames"/>, <see cref="ReservedSuffixes"/>), so that the
/// user could exist in Forgejo too.
/// </summary>
public static partial class AccountNameRules
{
    public const int MaximumLength = 40;

    /// <summary>Forgejo's reserved user names (its <c>reservedUsernames</c>): paths of its web UI and APIs, and its built-in users.</summary>
    public static IReadOnlySet<string> ReservedNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        ".", "..", "-", ".well-known",
        "api", "metrics", "v2",
        "assets", "attachments",
        "avatar", "avatars", "repo-avatars",
        "captcha", "login", "org", "repo", "user",
        "admin", "explore", "issues", "pulls", "milestones", "notifications", "report_abuse",
        "favicon.ico", "manifest.json", "robots.txt", "sitemap.xml", "ssh_info", "swagger.v1.json",
        "ghost", "gitea-actions", "forgejo-actions",
    };

    /// <summary>Forgejo's reserved user name patterns (its <c>reservedUserPatterns</c>, all <c>*.suffix</c>): a user's keys, feeds and avatar.</summary>
    public static IReadOnlyList<string> ReservedSuffixes { get; } = [".keys", ".gpg", ".rss", ".atom", ".png"];

    /// <summary>What is wrong with <paramref name="name"/>, in one line; null when it is a valid new name.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "the user name is empty";
        }

        if (name.Length > MaximumLength)
        {
            return $"the user name is {name.Length} characters long: at most {MaximumLength}";
        }

        if (Pattern().IsMatch(name))
        {
            return ReservedProblem(name);
        }

        var lower = name.ToLowerInvariant();
        if (!string.Equals(lower, name, StringComparison.Ordinal))
        {
            return $"user name '{name}' has upper-case letters: user names are lower case" + (Pattern().IsMatch(lower) ? $" (try '{lower}')" : string.Empty);
        }

        return $"user name '{name}' is not valid: use lower-case letters and digits, with single '.', '_' or '-' between them (e.g. 'alice', 'ci-bot', 'j.doe')";
    }

    private static string? ReservedProblem(string name)
    {
        if (ReservedNames.Contains(name))
        {
            return $"user name '{name}' is reserved: Forgejo uses it for its own pages, APIs or built-in users";
        }

        return ReservedSuffixes.FirstOrDefault(suffix => name.EndsWith(suffix, StringComparison.Ordinal)) is { } reserved
            ? $"user name '{name}' ends with '{reserved}': Forgejo reserves the pattern '*{reserved}' (a user's keys, feeds and avatar)"
            : null;
    }

    // \z, not $: '$' would also match before a final newline.
    [GeneratedRegex(@"^[a-z0-9]+(?:[._-][a-z0-9]+)*\z")]
    private static partial Regex Pattern();
}

/// <summary>What the name of a new access token must be (Forgejo's <c>access_token.name</c>, unique per user).</summary>
public static class AccessTokenNameRules
{
    public const int MaximumLength = 255;

    /// <summary>What is wrong with <paramref name="name"/>, in one line; null when it is a valid token name.</summary>
    public static string? Problem(string name)
        => name.Trim().Length == 0 ? "the token name is empty"
            : name.Length > MaximumLength ? $"the token name is {name.Length} characters long: at most {MaximumLength}"
            : name.Any(char.IsControl) ? "the token name contains a control character"
            : null;
}

/// <summary>What a new password must be. It is never part of a message.</summary>
public static class PasswordRules
{
    public const int MinimumLength = 8;
    public const int MaximumLength = 1024;

    /// <summary>What is wrong with <paramref name="password"/>, in one line that does not contain it; null when it is acceptable.</summary>
    public static string? Problem(string password)
    {
        if (password.Contains('\0', StringComparison.Ordinal))
        {
            return "the password contains a NUL character";
        }

        // Characters as a person counts them (Unicode scalar values), not UTF-16 code units.
        var length = password.EnumerateRunes().Count();
        return length < MinimumLength ? $"the password is too short: at least {MinimumLength} characters"
            : length > MaximumLength ? $"the password is too long: at most {MaximumLength} characters"
            : null;
    }
}
