using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Forge.Packages.ExpiredData;

/// <summary>What one run of the expired-data cleanup removed, step by step; in a dry run, what it would.</summary>
public sealed record ExpiredDataCleanupReport
{
    public bool DryRun { get; init; }
    public bool Skipped { get; init; }
    public long OlderThanSeconds { get; init; }
    public long CutoffUnix { get; init; }

    /// <summary>Each step's report under its key, in the order the steps ran (empty for a skipped run).</summary>
    [JsonIgnore]
    public IReadOnlyList<KeyValuePair<string, ExpiredDataStepReport>> Steps { get; init; } = [];

    /// <summary>Bytes of files removed (in a dry run: the sizes of what would go).</summary>
    public long BytesFreed { get; init; }

    public double DurationSeconds { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>The report of the step of type <typeparamref name="TReport"/>; throws when no such step ran.</summary>
    public TReport Step<TReport>()
        where TReport : ExpiredDataStepReport
        => Steps.Select(s => s.Value).OfType<TReport>().SingleOrDefault()
           ?? throw new InvalidOperationException($"No step of this run reported a {typeof(TReport).Name}.");

    /// <summary>The JSON report: the run's keys, then a key per step in the order they ran, then what the run freed and how long it took.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["dryRun"] = DryRun,
            ["skipped"] = Skipped,
            ["olderThanSeconds"] = OlderThanSeconds,
            ["cutoffUnix"] = CutoffUnix,
        };
        foreach (var (key, step) in Steps)
        {
            json[key] = JsonSerializer.SerializeToNode(step, step.GetType(), JsonOptions);
        }

        json["bytesFreed"] = BytesFreed;
        json["durationSeconds"] = DurationSeconds;
        return json.ToJsonString(JsonOptions);
    }

    /// <summary>One line for logs and <c>cron list</c>.</summary>
    public string Summary()
        => Skipped
            ? "skipped: another run of the expired-data cleanup is in progress"
            : $"{(DryRun ? "dry run: would remove" : "removed")} {string.Join(", ", Steps.Select(s => s.Value.SummaryPart()))}; {BytesFreed} bytes freed" +
              string.Concat(Steps.Select(s => s.Value.Warning()).OfType<string>().Select(w => "; " + w));
}
