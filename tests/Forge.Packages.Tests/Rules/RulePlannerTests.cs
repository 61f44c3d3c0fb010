using Forge.Packages.Rules;

namespace Forge.Packages.Tests.Rules;

/// <summary>
/// What a rule decides, clause by clause, with Forgejo's meaning of its columns and Forge's additions: a table of
/// versions (newest first) and the decision each gets.
/// </summary>
public sealed class RulePlannerTests
{
    private const long Now = 1_800_000_000;
    private const long Day = 86_400;

    private static readonly string[] Served = ["container"];

    private static readonly string[] BadFields = ["type", "keep_count", "remove_days", "keep_pulled_days", "keep_pattern"];

    private static RuleReason? Container(string lowerVersion)
        => lowerVersion == "latest" ? RuleReason.Latest : lowerVersion.StartsWith("sha256:", StringComparison.Ordinal) ? RuleReason.Digest : null;

    private static RuleReason? Nothing(string lowerVersion) => null;

    private static List<RuleReason> Decide(CleanupRule rule, Func<string, RuleReason?> passOver, params (string Version, long AgeDays, long? PulledDaysAgo)[] versions)
    {
        var id = versions.Length;
        var candidates = versions.Select(v => new RuleCandidate(
            id--, 1, v.Version, v.Version.ToLowerInvariant(), Now - (v.AgeDays * Day), v.PulledDaysAgo is { } p ? Now - (p * Day) : null, 0)).ToList();
        return new RulePlanner(rule, Now).Plan("app", candidates, passOver).Select(d => d.Decision).ToList();
    }

    private static CleanupRule Rule(int keepCount = 0, string keepPattern = "", int removeDays = 0, string removePattern = "", bool matchFullName = false, int keepPulledDays = 0)
        => new()
        {
            Id = 1, Type = "container", Enabled = true, KeepCount = keepCount, KeepPattern = keepPattern, RemoveDays = removeDays,
            RemovePattern = removePattern, MatchFullName = matchFullName, KeepPulledDays = keepPulledDays,
        };

    [Test]
    public void The_newest_keep_count_versions_stay_and_the_older_ones_go()
        => Assert.That(Decide(Rule(keepCount: 2), Container, ("v4", 4, null), ("v3", 5, null), ("v2", 6, null), ("v1", 7, null)),
            Is.EqualTo(new[] { RuleReason.KeepCount, RuleReason.KeepCount, RuleReason.Removed, RuleReason.Removed }));

    [Test]
    public void A_keep_count_of_zero_counts_nothing()
        => Assert.That(Decide(Rule(keepCount: 0), Container, ("v2", 4, null), ("v1", 5, null)),
            Is.EqualTo(new[] { RuleReason.Removed, RuleReason.Removed }));

    [Test]
    public void Latest_and_digest_versions_of_a_container_are_passed_over_and_do_not_count()
        => Assert.That(Decide(Rule(keepCount: 2), Container,
                ("latest", 1, null), ("sha256:" + new string('a', 64), 1, null), ("v3", 5, null), ("v2", 6, null), ("v1", 7, null)),
            Is.EqualTo(new[] { RuleReason.Latest, RuleReason.Digest, RuleReason.KeepCount, RuleReason.KeepCount, RuleReason.Removed }));

    [Test]
    public void Of_a_type_that_passes_nothing_over_latest_counts_like_any_version()
        => Assert.That(Decide(Rule(keepCount: 1), Nothing, ("latest", 1, null), ("v1", 7, null)),
            Is.EqualTo(new[] { RuleReason.KeepCount, RuleReason.Removed }));

    [TestCase("v.*", "v1", RuleReason.KeepPattern)]
    [TestCase("V1", "v1", RuleReason.KeepPattern)]
    [TestCase("v1", "V1", RuleReason.KeepPattern)]
    [TestCase("v1", "v10", RuleReason.Removed)]
    [TestCase("1", "v1", RuleReason.Removed)]
    [TestCase("release|v1", "v1x", RuleReason.Removed)]
    [TestCase("release|v1", "release-2", RuleReason.Removed)]
    [TestCase("release|v1", "v1", RuleReason.KeepPattern)]
    [TestCase("(?P<major>v\\d+)", "v12", RuleReason.KeepPattern)]
    public void A_keep_pattern_keeps_what_it_matches_whole_in_any_letter_case(string pattern, string version, RuleReason expected)
        => Assert.That(Decide(Rule(keepPattern: pattern), Container, (version, 9, null)).Single(), Is.EqualTo(expected));

    [Test]
    public void A_keep_pattern_applies_after_the_count()
        => Assert.That(Decide(Rule(keepCount: 1, keepPattern: "stable-.*"), Container, ("stable-2", 3, null), ("v9", 4, null), ("stable-1", 5, null)),
            Is.EqualTo(new[] { RuleReason.KeepCount, RuleReason.Removed, RuleReason.KeepPattern }));

    [TestCase(9, RuleReason.TooYoung)]
    [TestCase(10, RuleReason.Removed)]
    [TestCase(11, RuleReason.Removed)]
    public void Versions_created_after_the_cutoff_stay(int ageDays, RuleReason expected)
        => Assert.That(Decide(Rule(removeDays: 10), Container, ("v1", ageDays, null)).Single(), Is.EqualTo(expected));

    [Test]
    public void A_remove_days_of_zero_removes_what_is_older_than_now()
        => Assert.That(Decide(Rule(removeDays: 0), Container, ("v1", 0, null)).Single(), Is.EqualTo(RuleReason.Removed));

    [TestCase("", "v1", RuleReason.Removed)]
    [TestCase("pr-.*", "pr-12", RuleReason.Removed)]
    [TestCase("pr-.*", "v1", RuleReason.RemovePatternMismatch)]
    [TestCase("PR-.*", "pr-12", RuleReason.Removed)]
    [TestCase("pr", "pr-12", RuleReason.RemovePatternMismatch)]
    public void A_remove_pattern_limits_what_may_go(string pattern, string version, RuleReason expected)
        => Assert.That(Decide(Rule(removePattern: pattern), Container, (version, 9, null)).Single(), Is.EqualTo(expected));

    [Test]
    public void A_keep_pattern_wins_over_a_matching_remove_pattern()
        => Assert.That(Decide(Rule(keepPattern: "v1", removePattern: "v.*"), Container, ("v1", 9, null), ("v2", 9, null)),
            Is.EqualTo(new[] { RuleReason.KeepPattern, RuleReason.Removed }));

    [TestCase(false, "app/v1", RuleReason.Removed)]
    [TestCase(true, "app/v1", RuleReason.KeepPattern)]
    [TestCase(true, "v1", RuleReason.Removed)]
    [TestCase(true, "APP/V.*", RuleReason.KeepPattern)]
    public void Match_full_name_matches_package_and_version(bool matchFullName, string pattern, RuleReason expected)
        => Assert.That(Decide(Rule(keepPattern: pattern, matchFullName: matchFullName), Container, ("v1", 9, null)).Single(), Is.EqualTo(expected));

    [Test]
    public void Match_full_name_applies_to_the_remove_pattern_too()
        => Assert.That(Decide(Rule(removePattern: "app/pr-.*", matchFullName: true), Container, ("pr-1", 9, null), ("v1", 9, null)),
            Is.EqualTo(new[] { RuleReason.Removed, RuleReason.RemovePatternMismatch }));

    [TestCase(6, RuleReason.RecentlyPulled)]
    [TestCase(7, RuleReason.Removed)]
    [TestCase(30, RuleReason.Removed)]
    public void A_version_pulled_within_keep_pulled_days_stays(int pulledDaysAgo, RuleReason expected)
        => Assert.That(Decide(Rule(keepPulledDays: 7), Container, ("v1", 60, pulledDaysAgo)).Single(), Is.EqualTo(expected));

    [Test]
    public void A_version_never_pulled_is_judged_by_the_other_clauses()
        => Assert.That(Decide(Rule(keepPulledDays: 7), Container, ("v1", 60, null)).Single(), Is.EqualTo(RuleReason.Removed));

    [Test]
    public void Without_keep_pulled_days_pulls_keep_nothing()
        => Assert.That(Decide(Rule(keepPulledDays: 0), Container, ("v1", 60, 0)).Single(), Is.EqualTo(RuleReason.Removed));

    [Test]
    public void A_recent_pull_does_not_take_a_place_of_the_count()
        => Assert.That(Decide(Rule(keepCount: 1, keepPulledDays: 7), Container, ("v3", 20, null), ("v2", 30, 1), ("v1", 40, null)),
            Is.EqualTo(new[] { RuleReason.KeepCount, RuleReason.RecentlyPulled, RuleReason.Removed }));

    [Test]
    public void Versions_are_judged_in_the_order_given_newest_first()
        => Assert.That(Decide(Rule(keepCount: 1), Container, ("b", 5, null), ("a", 6, null)),
            Is.EqualTo(new[] { RuleReason.KeepCount, RuleReason.Removed }), "the first one given is the one counted");

    [TestCase("(")]
    [TestCase("a{2,1}")]
    [TestCase("(a)\\1")]
    [TestCase("(?=a)b")]
    public void A_pattern_that_does_not_compile_is_refused_with_the_column_named(string pattern)
    {
        Assert.That(() => new RulePlanner(Rule(keepPattern: pattern), Now), Throws.ArgumentException.With.Message.StartsWith("keep_pattern: "));
        Assert.That(() => new RulePlanner(Rule(removePattern: pattern), Now), Throws.ArgumentException.With.Message.StartsWith("remove_pattern: "));
    }

    [Test]
    public void Every_field_of_a_rule_is_checked_before_it_is_written()
    {
        var bad = Rule(keepCount: -1, keepPattern: "(", removeDays: 36_501, keepPulledDays: -2) with { Type = "npm" };

        var fields = CleanupRuleValidation.Problems(bad, Served).Select(p => p.Field);

        Assert.That(fields, Is.EquivalentTo(BadFields));
    }

    [Test]
    public void A_pattern_longer_than_its_column_is_refused()
        => Assert.That(RulePattern.Problem(new string('a', 256)), Does.Contain("255"));
}
