using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Forge.Packages.Container.Cleanup;

/// <summary>The cleanup's counters, histogram and spans, on the module's Meter and ActivitySource.</summary>
public sealed class DanglingImageCleanupTelemetry
{
    public DanglingImageCleanupTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(ContainerModule.TelemetryName);
        Runs = meter.CreateCounter<long>("forge.packages.container.cleanup.runs", "{run}", "Cleanup runs by outcome (success, failure, skipped) and dry_run.");
        VersionsScanned = meter.CreateCounter<long>("forge.packages.container.cleanup.versions.scanned", "{version}", "Container versions read by the inventory.");
        VersionsDeleted = meter.CreateCounter<long>("forge.packages.container.cleanup.versions.deleted", "{version}", "Versions deleted, by reason (unreferenced, orphaned_referrer, orphaned_referrer_tag).");
        VersionsKept = meter.CreateCounter<long>("forge.packages.container.cleanup.versions.kept", "{version}", "Digest versions kept, by reason (referenced, too_young, subject_alive, spared).");
        FilesDeleted = meter.CreateCounter<long>("forge.packages.container.cleanup.files.deleted", "{file}", "package_file rows deleted with their versions.");
        PropertiesDeleted = meter.CreateCounter<long>("forge.packages.container.cleanup.properties.deleted", "{property}", "package_property rows deleted with their versions and files.");
        MetadataMalformed = meter.CreateCounter<long>("forge.packages.container.cleanup.metadata.malformed", "{version}", "Versions whose metadata_json is not JSON (their digests still count as references).");
        Duration = meter.CreateHistogram<double>("forge.packages.container.cleanup.duration", "s", "How long cleanup runs take.");
        // A series from the start: Prometheus's increase() cannot see a series' first sample, and the
        // malformed-metadata alert must see the first versions found.
        MetadataMalformed.Add(0);
    }

    public static ActivitySource ActivitySource { get; } = new(ContainerModule.TelemetryName);

    public Counter<long> Runs { get; }
    public Counter<long> VersionsScanned { get; }
    public Counter<long> VersionsDeleted { get; }
    public Counter<long> VersionsKept { get; }
    public Counter<long> FilesDeleted { get; }
    public Counter<long> PropertiesDeleted { get; }
    public Counter<long> MetadataMalformed { get; }
    public Histogram<double> Duration { get; }
}
