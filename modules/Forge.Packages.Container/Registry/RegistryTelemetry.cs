using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Forge.Packages.Container.Registry;

/// <summary>The registry API's counters and spans, on the module's Meter and ActivitySource.</summary>
public sealed class RegistryTelemetry
{
    public RegistryTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(ContainerModule.TelemetryName);
        Requests = meter.CreateCounter<long>("forge.registry.requests", "{request}", "Registry API requests by operation and status code.");
        BytesReceived = meter.CreateCounter<long>("forge.registry.blob.received", "By", "Blob bytes received by uploads.");
        BytesSent = meter.CreateCounter<long>("forge.registry.blob.sent", "By", "Blob bytes served (whole blobs and ranges).");
        BlobRedirects = meter.CreateCounter<long>("forge.registry.blob.redirects", "{request}", "Blob GETs answered with a redirect to the bucket (Forge:Storage:S3:ServeDirect): their bytes are not in forge.registry.blob.sent.");
        ManifestsPushed = meter.CreateCounter<long>("forge.registry.manifests.pushed", "{manifest}", "Manifests pushed, by kind (image, index).");
        AuthFailures = meter.CreateCounter<long>("forge.registry.auth.failures", "{request}", "Requests refused for credentials, by reason (missing, invalid, denied); the ping's challenge to a client that sent none is not counted.");
        AuthFailures.Add(0, new KeyValuePair<string, object?>("reason", "invalid"));
        PullsRecorded = meter.CreateCounter<long>("forge.registry.pulls.recorded", "{pull}", "Manifest GETs answered 200, recorded in memory as pulls of the versions they named.");
        PullsWritten = meter.CreateCounter<long>("forge.registry.pulls.written", "{version}", "Versions whose last pull a flush wrote to the database.");
        PullFlushFailures = meter.CreateCounter<long>("forge.registry.pulls.flush.failures", "{flush}", "Flushes of recorded pulls that failed; their pulls are kept for the next flush.");
        PullFlushFailures.Add(0);
    }

    public static ActivitySource ActivitySource { get; } = new(ContainerModule.TelemetryName);

    public Counter<long> Requests { get; }
    public Counter<long> BytesReceived { get; }
    public Counter<long> BytesSent { get; }
    public Counter<long> BlobRedirects { get; }
    public Counter<long> ManifestsPushed { get; }
    public Counter<long> AuthFailures { get; }
    public Counter<long> PullsRecorded { get; }
    public Counter<long> PullsWritten { get; }
    public Counter<long> PullFlushFailures { get; }
}
