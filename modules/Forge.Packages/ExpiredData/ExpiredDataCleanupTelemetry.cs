using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Forge.Packages.ExpiredData;

/// <summary>The expired-data cleanup's instruments, on the Packages module's Meter and ActivitySource.</summary>
public sealed class ExpiredDataCleanupTelemetry
{
    public const string Name = "Forge.Packages";

    public ExpiredDataCleanupTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        Runs = meter.CreateCounter<long>("forge.packages.cleanup.runs", "{run}", "Expired-data cleanup runs by outcome (success, failure, skipped) and dry_run.");
        UploadsDeleted = meter.CreateCounter<long>("forge.packages.cleanup.uploads.deleted", "{upload}", "Expired upload sessions removed.");
        FilesDeleted = meter.CreateCounter<long>("forge.packages.cleanup.files.deleted", "{file}", "Expired files of internal upload versions removed (unused uploaded blobs).");
        VersionsDeleted = meter.CreateCounter<long>("forge.packages.cleanup.versions.deleted", "{version}", "Internal upload versions removed once empty.");
        PackagesDeleted = meter.CreateCounter<long>("forge.packages.cleanup.packages.deleted", "{package}", "Empty packages removed.");
        BlobsDeleted = meter.CreateCounter<long>("forge.packages.cleanup.blobs.deleted", "{blob}", "Orphaned blobs removed.");
        BytesFreed = meter.CreateCounter<long>("forge.packages.cleanup.bytes.freed", "By", "Bytes of content and upload files removed from disk.");
        RemovalFailures = meter.CreateCounter<long>("forge.packages.cleanup.content.removal.failures", "{file}", "Content files whose removal failed after their rows were deleted.");
        Duration = meter.CreateHistogram<double>("forge.packages.cleanup.duration", "s", "How long expired-data cleanup runs take.");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public Counter<long> Runs { get; }
    public Counter<long> UploadsDeleted { get; }
    public Counter<long> FilesDeleted { get; }
    public Counter<long> VersionsDeleted { get; }
    public Counter<long> PackagesDeleted { get; }
    public Counter<long> BlobsDeleted { get; }
    public Counter<long> BytesFreed { get; }
    public Counter<long> RemovalFailures { get; }
    public Histogram<double> Duration { get; }
}
