using System.Text.RegularExpressions;

namespace Forge.Packages.Rules;

/// <summary>
/// What a rule decides for one package's versions, free of any I/O. Forgejo's meaning for its columns: the
/// versions newest first; the first <c>keep_count</c> kept; each later one kept when it matches
/// <c>keep_pattern</c>, or was created after the cutoff (now − <c>remove_days</c>), or <c>remove_pattern</c> is set
/// and it does not match; otherwise removed. Versions the package type passes over (a container's <c>latest</c>
/// and digest versions) are neither removed nor counted. Forge's addition: with <c>keep_pulled_days</c>, a version
/// pulled after now − that many days is kept too.
/// </summary>
public sealed class RulePlanner
{
    private const long Day = 86_400;

    private readonly CleanupRule rule;
    private readonly Regex? keep;
    private readonly Regex? remove;
    private readonly long createdCutoff;
    private readonly long pulledCutoff;

    /// <summary>Compiles the rule's patterns; a pattern that does not compile throws <see cref="ArgumentException"/>.</summary>
    public RulePlanner(CleanupRule rule, long nowUnix)
    {
        this.rule = rule;
        keep = Compile(rule.KeepPattern, "keep_pattern");
        remove = Compile(rule.RemovePattern, "remove_pattern");
        createdCutoff = nowUnix - (rule.RemoveDays * Day);
        pulledCutoff = nowUnix - (rule.KeepPulledDays * Day);
    }

    /// <summary>
    /// The decision for each version of a package, in the order given, which must be newest first (created_unix,
    /// then id, both descending). <paramref name="passOver"/> says which versions the package type leaves alone.
    /// </summary>
    public List<(RuleCandidate Version, RuleReason Decision)> Plan(
        string packageLowerName, IReadOnlyList<RuleCandidate> newestFirst, Func<string, RuleReason?> passOver)
    {
        var pass = Begin(packageLowerName, passOver);
        return newestFirst.Select(version => (version, pass.Decide(version))).ToList();
    }

    /// <summary>
    /// The same decisions one version at a time, for a package read page by page: the versions must be handed to
    /// <see cref="PackagePass.Decide"/> newest first, as to <see cref="Plan"/>.
    /// </summary>
    public PackagePass Begin(string packageLowerName, Func<string, RuleReason?> passOver) => new(this, packageLowerName, passOver);

    /// <summary>One package's pass: what keep_count has counted so far.</summary>
    public sealed class PackagePass(RulePlanner planner, string packageLowerName, Func<string, RuleReason?> passOver)
    {
        private int counted;

        public RuleReason Decide(RuleCandidate version)
        {
            if (passOver(version.LowerVersion) is { } passed)
            {
                return passed;
            }

            if (counted < planner.rule.KeepCount)
            {
                counted++;
                return RuleReason.KeepCount;
            }

            return planner.Decide(packageLowerName, version);
        }
    }

    private RuleReason Decide(string packageLowerName, RuleCandidate version)
    {
        var text = rule.MatchFullName ? $"{packageLowerName}/{version.LowerVersion}" : version.LowerVersion;
        if (keep is not null && keep.IsMatch(text))
        {
            return RuleReason.KeepPattern;
        }

        if (version.CreatedUnix > createdCutoff)
        {
            return RuleReason.TooYoung;
        }

        if (rule.KeepPulledDays > 0 && version.LastPulledUnix is { } pulled && pulled > pulledCutoff)
        {
            return RuleReason.RecentlyPulled;
        }

        if (remove is not null && !remove.IsMatch(text))
        {
            return RuleReason.RemovePatternMismatch;
        }

        return RuleReason.Removed;
    }

    private static Regex? Compile(string pattern, string column)
    {
        try
        {
            return RulePattern.Compile(pattern);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{column}: {e.Message}", e);
        }
    }
}
