using System.Diagnostics.Metrics;

namespace Forge.Packages.Content;

/// <summary>The content store's instruments, on the Packages module's Meter: what every store operation cost, whichever store it is.</summary>
public sealed class ContentStoreTelemetry
{
    public ContentStoreTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(ExpiredData.ExpiredDataCleanupTelemetry.Name);
        Operations = meter.CreateCounter<long>(
            "forge.packages.storage.operations", "{operation}", "Content store operations by operation (size, open, publish, delete, list) and outcome (success, failure).");
        Bytes = meter.CreateCounter<long>(
            "forge.packages.storage.bytes", "By", "Bytes through the content store by operation: read (open), written (publish), freed (delete).");
        Duration = meter.CreateHistogram<double>(
            "forge.packages.storage.duration", "s", "How long content store operations take, by operation (for open, until the content is ready to read).");

        // A failure series for each operation from the start, at zero: an alert on increase() then sees the first failure.
        foreach (var operation in OperationNames)
        {
            Operations.Add(0, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", "failure"));
        }
    }

    /// <summary>The operations, as their <c>operation</c> tag names them.</summary>
    public static IReadOnlyList<string> OperationNames { get; } = ["size", "open", "publish", "delete", "list"];

    public Counter<long> Operations { get; }
    public Counter<long> Bytes { get; }
    public Histogram<double> Duration { get; }
}
