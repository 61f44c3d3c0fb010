using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>
/// Records the module's spans with OpenTelemetry's in-memory exporter, under a parent span of the test's
/// own, so that spans of anything else running at the same time are left out. Create it in the test method.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly List<Activity> exported = [];
    private readonly TracerProvider provider;
    private readonly Activity parent;

    public SpanRecorder()
    {
        provider = Sdk.CreateTracerProviderBuilder()
            .AddSource("Forge.Packages.Container")
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();
        parent = new Activity("test").Start();
    }

    /// <summary>The spans ended so far under the test's parent span.</summary>
    public IReadOnlyList<Activity> Spans => exported.Where(a => a.TraceId == parent.TraceId).ToList();

    /// <summary>The span of the cleanup run.</summary>
    public Activity Run => Spans.Single(a => a.OperationName == "cleanup_container_sha256");

    public IReadOnlyList<Activity> Named(string name) => Spans.Where(a => a.OperationName == name).ToList();

    public void Dispose()
    {
        parent.Stop();
        provider.Dispose();
    }
}
