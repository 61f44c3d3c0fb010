using System.Diagnostics;
using System.Diagnostics.Metrics;
using Forge.Host.Scheduling;

namespace Forge.Host.Hosting;

/// <summary>
/// The host's own instruments: a run counter, a duration histogram and the last success of every cron
/// task, and the admin API's refused requests.
/// </summary>
public sealed class HostTelemetry
{
    public const string Name = "Forge.Host";

    public HostTelemetry(IMeterFactory meters, CronLastSuccess lastSuccess)
    {
        var meter = meters.Create(Name);
        Runs = meter.CreateCounter<long>("forge.cron.runs", "{run}", "Cron task runs, by task and outcome.");
        Duration = meter.CreateHistogram<double>("forge.cron.run.duration", "s", "How long cron task runs take, by task and outcome.");
        meter.CreateObservableGauge(
            "forge.cron.last_success", lastSuccess.Measure, "s", "When each enabled cron task last finished a run with success (unix time), by task.");
        AdminUnauthorized = meter.CreateCounter<long>(
            "forge.http.admin.unauthorized", "{request}", "Admin API requests refused for a missing or wrong token, by reason (missing, wrong).");
    }

    public static ActivitySource ActivitySource { get; } = new(Name);

    public Counter<long> Runs { get; }

    public Histogram<double> Duration { get; }

    public Counter<long> AdminUnauthorized { get; }
}
