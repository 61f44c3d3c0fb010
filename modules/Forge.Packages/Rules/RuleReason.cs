namespace Forge.Packages.Rules;

/// <summary>Why a rule kept or removed a version (snake_case in reports and metrics).</summary>
public enum RuleReason
{
    /// <summary>Container tag <c>latest</c>: never removed by a rule, not counted.</summary>
    Latest,

    /// <summary>A version named by a digest: the dangling image cleanup's to judge; not counted.</summary>
    Digest,

    /// <summary>One of the newest <c>keep_count</c>.</summary>
    KeepCount,

    /// <summary>Matches <c>keep_pattern</c>.</summary>
    KeepPattern,

    /// <summary>Created within <c>remove_days</c>.</summary>
    TooYoung,

    /// <summary>Pulled within <c>keep_pulled_days</c> (Forge's addition).</summary>
    RecentlyPulled,

    /// <summary><c>remove_pattern</c> is set and does not match.</summary>
    RemovePatternMismatch,

    /// <summary>Removed (in a preview or dry run: would be).</summary>
    Removed,
}
