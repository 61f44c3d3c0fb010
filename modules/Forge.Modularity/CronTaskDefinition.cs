namespace Forge.Modularity;

/// <summary>
/// A cron task as a module declares it in <see cref="IModule.CronTasks"/>: its name, the <see cref="ICronTask"/>
/// that does the work, its defaults and the settings of its own. Every value can be overridden under
/// <c>Forge:Cron:&lt;Name&gt;:</c>; the host validates them all at start-up.
/// </summary>
public sealed record CronTaskDefinition
{
    private CronTaskDefinition(string name, string description, Type taskType)
    {
        Name = name;
        Description = description;
        TaskType = taskType;
    }

    /// <summary>Declares the task <paramref name="name"/>, whose work <typeparamref name="TTask"/> does.</summary>
    public static CronTaskDefinition For<TTask>(string name, string description)
        where TTask : class, ICronTask
        => new(name, description, typeof(TTask));

    public string Name { get; }

    public string Description { get; }

    /// <summary>The <see cref="ICronTask"/> that does the work; the host makes one in a scope of its own per run.</summary>
    public Type TaskType { get; }

    public bool Enabled { get; init; } = true;

    public bool RunAtStart { get; init; }

    /// <summary>Quartz cron (with seconds), a descriptor such as <c>@midnight</c>, or <c>@every 1h</c>.</summary>
    public string Schedule { get; init; } = "@midnight";

    /// <summary>
    /// Tasks this one runs right after, whenever they finish with success (trigger <c>chained</c>), besides its own
    /// schedule: how a module puts its task into another module's nightly chain without that module knowing it.
    /// </summary>
    public IReadOnlyList<string> RunsAfter { get; init; } = [];

    /// <summary>The task's own settings, beyond Enabled, RunAtStart and Schedule.</summary>
    public IReadOnlyList<CronSetting> Settings { get; init; } = [];
}
