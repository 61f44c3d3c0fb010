using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Forge.Soak;

/// <summary>What a scenario did and whether the invariants held after it.</summary>
public sealed record SoakReport
{
    public required string Scenario { get; init; }
    public double DurationSeconds { get; init; }
    public int Writers { get; init; }
    public long ManifestsPushed { get; init; }
    public long IndexesPushed { get; init; }

    /// <summary>Index pushes refused with MANIFEST_BLOB_UNKNOWN because a child went while the writer paused.</summary>
    public long IndexPushesRefused { get; init; }

    public long AbandonedMirrors { get; init; }
    public long ContainerCleanupRuns { get; init; }
    public long VersionsDeleted { get; init; }

    /// <summary>Versions the rule-8 re-check spared because a writer named them during the run.</summary>
    public long VersionsSpared { get; init; }

    public long PackagesCleanupRuns { get; init; }
    public long BlobsDeleted { get; init; }

    /// <summary>Cleanup processes killed with SIGKILL.</summary>
    public long Kills { get; init; }

    /// <summary>Of those, kills after the run's first deletion committed and before its process ended.</summary>
    public long KillsAfterFirstDeletion { get; init; }

    /// <summary>Of those, kills after the run had deleted something and before it had deleted everything.</summary>
    public long KillsMidDeletion { get; init; }

    /// <summary>How many times the invariants were checked.</summary>
    public long InvariantChecks { get; init; }

    public IReadOnlyList<string> Violations { get; init; } = [];

    /// <summary>Pushes or cleanup runs that failed with an unexpected error (a registry would have answered 500).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    public bool Held => Violations.Count == 0;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ToJson(IEnumerable<SoakReport> reports) => JsonSerializer.Serialize(reports, JsonOptions);

    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"{Scenario}: {DurationSeconds:0.0}s, {Writers} writer(s): {ManifestsPushed} manifests and {IndexesPushed} indexes pushed, " +
                           $"{IndexPushesRefused} index pushes refused (MANIFEST_BLOB_UNKNOWN), {AbandonedMirrors} abandoned mirrors");
        text.AppendLine(c, $"  container cleanup: {ContainerCleanupRuns} runs, {VersionsDeleted} versions deleted, {VersionsSpared} spared; " +
                           $"expired-data cleanup: {PackagesCleanupRuns} runs, {BlobsDeleted} blobs deleted");
        if (Kills > 0)
        {
            text.AppendLine(c, $"  {Kills} cleanup processes killed with SIGKILL, {KillsAfterFirstDeletion} after their first deletion, {KillsMidDeletion} of those before their last");
        }

        text.AppendLine(c, $"  invariants checked {InvariantChecks} time(s): {(Held ? "held" : $"{Violations.Count} VIOLATION(S)")}");
        foreach (var violation in Violations.Take(20))
        {
            text.AppendLine(c, $"    {violation}");
        }

        text.AppendLine(c, $"  unexpected errors: {Errors.Count}");
        foreach (var error in Errors.Take(20))
        {
            text.AppendLine(c, $"    {error}");
        }

        return text.ToString();
    }
}
