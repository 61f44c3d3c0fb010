using System.Text.RegularExpressions;

namespace Forge.Accounts;

/// <summary>
/// What a new user name must look like. It becomes the first path component of image names
/// (<c>alice/app</c>), so it follows the OCI distribution spec's path component and is lower case.
/// </summary>
public static partial class AccountNameRules
{
    public const int MaximumLength = 40;

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
            return null;
        }

        var lower = name.ToLowerInvariant();
        if (!string.Equals(lower, name, StringComparison.Ordinal))
        {
            return $"user name '{name}' has upper-case letters: user names are lower case" + (Pattern().IsMatch(lower) ? $" (try '{lower}')" : string.Empty);
        }

        return $"user name '{name}' is not valid: use lower-case letters and digits, with single '.', '_' or '-' between them (e.g. 'alice', 'ci-bot', 'j.doe')";
    }

    // \z, not $: '$' would also match before a final newline.
    [GeneratedRegex(@"^[a-z0-9]+(?:[._-][a-z0-9]+)*\z")]
    private static partial Regex Pattern();
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
