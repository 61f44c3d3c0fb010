using System.Text.Json;
using System.Text.Json.Serialization;

namespace Forge.Packages.Rules;

/// <summary>What one run of the rules looked at and did (in a preview or dry run: would do).</summary>
public sealed record PackageRulesCleanupReport
{
    public bool DryRun { get; init; }

    /// <summary>True when another run held the lock and this one did nothing.</summary>
    public bool Skipped { get; init; }

    /// <summary>The instant the rules were judged at (cutoffs are counted back from it).</summary>
    public long NowUnix { get; init; }

    public IReadOnlyList<RuleRunReport> Rules { get; init; } = [];

    public long VersionsLookedAt => Rules.Sum(r => r.VersionsLookedAt);

    public long VersionsRemoved => Rules.Sum(r => r.Removed);

    /// <summary>Versions kept, by reason (snake_case, as in the metrics).</summary>
    public IReadOnlyDictionary<string, long> VersionsKept { get; init; } = new Dictionary<string, long>();

    /// <summary>Rules that could not run (a stored pattern that does not compile, a database error).</summary>
    public int RulesFailed => Rules.Count(r => r.Error is not null);

    public double DurationSeconds { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>One line for logs and <c>cron list</c>.</summary>
    public string Summary()
        => Skipped
            ? "skipped: another run of the package rules is in progress"
            : $"{(DryRun ? "dry run: would remove" : "removed")} {VersionsRemoved} version(s) by {Rules.Count} rule(s); looked at {VersionsLookedAt}" +
              (RulesFailed > 0 ? $"; {RulesFailed} rule(s) failed: {string.Join("; ", Rules.Where(r => r.Error is not null).Select(r => $"rule {r.RuleId}: {r.Error}"))}" : string.Empty);
}

/// <summary>What one rule looked at and did.</summary>
public sealed record RuleRunReport
{
    /// <summary>The rule's id; 0 for the default rule standing in for an owner without a rule.</summary>
    public long RuleId { get; init; }

    public bool IsDefault { get; init; }

    public long OwnerId { get; init; }

    /// <summary>The owner's account name ('' when no account has the id).</summary>
    public string Owner { get; init; } = string.Empty;

    public string Type { get; init; } = string.Empty;

    /// <summary>Why the rule did not run, when it failed.</summary>
    public string? Error { get; init; }

    /// <summary>Why the rule was left alone without failing (a type no module serves), when it was.</summary>
    public string? NotRun { get; init; }

    public long VersionsLookedAt { get; init; }

    public long Removed { get; init; }

    /// <summary>Every version looked at, with its decision (empty when the run was asked for counts only).</summary>
    public IReadOnlyList<RuleVersionReport> Versions { get; init; } = [];
}

/// <summary>One version and what the rule decided for it.</summary>
public sealed record RuleVersionReport(string Package, string Version, long VersionId, long CreatedUnix, long? LastPulledUnix, RuleReason Decision);
