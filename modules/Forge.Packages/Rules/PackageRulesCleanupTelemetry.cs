using System.Diagnostics;
using System.Diagnostics.Metrics;
using Forge.Packages.ExpiredData;

namespace Forge.Packages.Rules;

/// <summary>The package rules' instruments, on the Packages module's Meter and ActivitySource.</summary>
public sealed class PackageRulesCleanupTelemetry
{
    public PackageRulesCleanupTelemetry(IMeterFactory meters)
    {
        var meter = meters.Create(ExpiredDataCleanupTelemetry.Name);
        Runs = meter.CreateCounter<long>("forge.packages.rules.runs", "{run}", "Package rule runs by outcome (success, failure, skipped) and dry_run.");
        VersionsRemoved = meter.CreateCounter<long>("forge.packages.rules.versions.removed", "{version}", "Versions the owners' rules removed.");
        VersionsKept = meter.CreateCounter<long>("forge.packages.rules.versions.kept", "{version}", "Versions the rules looked at and kept, by reason.");
        RuleFailures = meter.CreateCounter<long>("forge.packages.rules.failures", "{rule}", "Rules that could not run (a stored pattern that does not compile, an error); the others still run.");
        Duration = meter.CreateHistogram<double>("forge.packages.rules.duration", "s", "How long package rule runs take.");
        // A series from the start: Prometheus's increase() cannot see a series' first sample, and the alert on
        // failing rules must see the first one.
        RuleFailures.Add(0);
    }

    public static ActivitySource ActivitySource => ExpiredDataCleanupTelemetry.ActivitySource;

    public Counter<long> Runs { get; }
    public Counter<long> VersionsRemoved { get; }
    public Counter<long> VersionsKept { get; }
    public Counter<long> RuleFailures { get; }
    public Histogram<double> Duration { get; }
}
