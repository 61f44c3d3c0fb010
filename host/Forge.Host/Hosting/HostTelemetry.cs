using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Forge.Host.Hosting;

/// <summary>The host's own instruments: one run counter and one duration histogram for every cron task.</summary>
public sealed class HostTelemetry
{
    public const string Name = "Forge.Host";

    public HostTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        Runs = meter.CreateCounter<long>("forge.cron.runs", "{run}", "Cron task runs, by task and outcome.");
        Duration = meter.CreateHistogram<double>("forge.cron.run.duration", "s", "How long cron task runs take, by task and outcome.");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public Counter<long> Runs { get; }

    public Histogram<double> Duration { get; }
}

/// <summary>This host's name in run records and the cluster: <c>Forge:NodeName</c>, else the machine name.</summary>
public sealed record NodeIdentity(string Name);
