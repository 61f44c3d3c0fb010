namespace Forge.Modularity;

/// <summary>
/// A cron task as a module declares it: its name, its defaults and the settings of its own. Every value
/// can be overridden under <c>Forge:Cron:&lt;Name&gt;:</c>; the host validates them all at start-up.
/// </summary>
public sealed record CronTaskDefinition(string Name, string Description)
{
    public bool Enabled { get; init; } = true;

    public bool RunAtStart { get; init; }

    /// <summary>Quartz cron (with seconds), a descriptor such as <c>@midnight</c>, or <c>@every 1h</c>.</summary>
    public string Schedule { get; init; } = "@midnight";

    /// <summary>The task's own settings, beyond Enabled, RunAtStart and Schedule.</summary>
    public IReadOnlyList<CronSetting> Settings { get; init; } = [];

    /// <summary>The <see cref="ICronTask"/> that does the work; set by <see cref="ModuleContext.AddCronTask{TTask}"/>.</summary>
    public Type? TaskType { get; init; }
}
