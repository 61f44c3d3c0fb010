namespace Forge.Packages.Rules;

/// <summary>What is wrong with a rule before it is written: each problem names its field (as the column is named).</summary>
public static class CleanupRuleValidation
{
    public const int MaxKeepCount = 1_000_000;

    /// <summary>100 years: far enough for any rule, and a cutoff that stays a date.</summary>
    public const int MaxDays = 36_500;

    /// <summary>The problems of <paramref name="rule"/>, empty when it may be written; <paramref name="servedTypes"/> are the types a module can apply rules to.</summary>
    public static IReadOnlyList<(string Field, string Message)> Problems(CleanupRule rule, IReadOnlyCollection<string> servedTypes)
    {
        var problems = new List<(string, string)>();
        if (!servedTypes.Contains(rule.Type, StringComparer.Ordinal))
        {
            problems.Add(("type", string.IsNullOrEmpty(rule.Type)
                ? $"a package type is required (this forge applies rules to: {string.Join(", ", servedTypes)})"
                : $"'{rule.Type}' is not a package type this forge applies rules to (it serves: {string.Join(", ", servedTypes)})"));
        }

        Range("keep_count", rule.KeepCount, MaxKeepCount, problems);
        Range("remove_days", rule.RemoveDays, MaxDays, problems);
        Range("keep_pulled_days", rule.KeepPulledDays, MaxDays, problems);
        Pattern("keep_pattern", rule.KeepPattern, problems);
        Pattern("remove_pattern", rule.RemovePattern, problems);
        return problems;
    }

    private static void Range(string field, int value, int maximum, List<(string, string)> problems)
    {
        if (value < 0 || value > maximum)
        {
            problems.Add((field, $"{value} is out of range: use 0 to {maximum}"));
        }
    }

    private static void Pattern(string field, string pattern, List<(string, string)> problems)
    {
        if (RulePattern.Problem(pattern) is { } problem)
        {
            problems.Add((field, problem));
        }
    }
}
