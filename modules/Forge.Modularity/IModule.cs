namespace Forge.Modularity;

/// <summary>
/// A part of Forge that the host composes at start-up when <c>Forge:Modules:&lt;Name&gt;:Enabled</c> is true.
/// A disabled module contributes nothing: <see cref="Register"/> is not called.
/// </summary>
public interface IModule
{
    /// <summary>The name used in configuration and in messages, e.g. <c>Packages.Container</c>.</summary>
    string Name { get; }

    /// <summary>Names of the modules that must be enabled for this one to work.</summary>
    IReadOnlyList<string> Dependencies { get; }

    /// <summary>
    /// The module's cron tasks. For an enabled module the host registers each task's type, validates its
    /// <c>Forge:Cron:&lt;task&gt;:</c> settings, schedules it, records every run and offers it to <c>cron run</c>.
    /// For a disabled module it reads only the names, so that leftover <c>Forge:Cron</c> settings are not taken for typos.
    /// </summary>
    IReadOnlyList<CronTaskDefinition> CronTasks => [];

    /// <summary>Registers the module's services, schema migrations and telemetry sources.</summary>
    void Register(ModuleContext context);
}
