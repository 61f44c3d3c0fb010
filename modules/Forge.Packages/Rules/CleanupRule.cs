namespace Forge.Packages.Rules;

/// <summary>
/// An owner's retention rule for one package type: a row of <c>package_cleanup_rule</c> (Forgejo's columns with
/// Forgejo's meaning, and Forge's <c>keep_pulled_days</c>), or the instance's default rule (id 0) standing in for
/// an owner that has none of that type.
/// </summary>
public sealed record CleanupRule
{
    public long Id { get; init; }
    public long OwnerId { get; init; }
    public string Type { get; init; } = string.Empty;
    public bool Enabled { get; init; }

    /// <summary>The newest versions kept whatever else the rule says (0: no count).</summary>
    public int KeepCount { get; init; }

    /// <summary>Versions whose name matches are kept ('' : not set).</summary>
    public string KeepPattern { get; init; } = string.Empty;

    /// <summary>Versions created within this many days are kept.</summary>
    public int RemoveDays { get; init; }

    /// <summary>When set, only versions whose name matches may be removed ('' : not set).</summary>
    public string RemovePattern { get; init; } = string.Empty;

    /// <summary>Patterns match <c>&lt;package&gt;/&lt;version&gt;</c> instead of the version alone.</summary>
    public bool MatchFullName { get; init; }

    /// <summary>Forge's addition: versions pulled within this many days are kept (0: pulls keep nothing).</summary>
    public int KeepPulledDays { get; init; }

    public long CreatedUnix { get; init; }
    public long UpdatedUnix { get; init; }

    /// <summary>The default rule of the configuration, applied to an owner without a rule of its type.</summary>
    public bool IsDefault => Id == 0;
}
