using Forge.Modularity;

namespace Forge.Host.Scheduling;

/// <summary>A declared task with its settings as configured and validated.</summary>
public sealed record CronTaskConfiguration(
    CronTaskDefinition Definition,
    bool Enabled,
    bool RunAtStart,
    CronSchedule Schedule,
    CronTaskSettings Settings)
{
    public string Name => Definition.Name;
}
