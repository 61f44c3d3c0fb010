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
        ManifestsPushed = meter.CreateCounter<long>("forge.registry.manifests.pushed", "{manifest}", "Manifests pushed, by kind (image, index).");
        AuthFailures = meter.CreateCounter<long>("forge.registry.auth.failures", "{request}", "Requests refused for credentials, by reason (missing, invalid, denied); the ping's challenge to a client that sent none is not counted.");
        AuthFailures.Add(0, new KeyValuePair<string, object?>("reason", "invalid"));
    }

    public static ActivitySource ActivitySource { get; } = new(ContainerModule.TelemetryName);

    public Counter<long> Requests { get; }
    public Counter<long> BytesReceived { get; }
    public Counter<long> BytesSent { get; }
    public Counter<long> ManifestsPushed { get; }
    public Counter<long> AuthFailures { get; }
}
