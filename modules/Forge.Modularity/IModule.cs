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
    /// Names of the cron tasks <see cref="Register"/> declares. For a disabled module the host reads this
    /// instead of registering it, so that the module's leftover <c>Forge:Cron</c> settings are not taken for typos.
    /// </summary>
    IReadOnlyList<string> CronTaskNames => [];

    /// <summary>Registers the module's services, cron tasks, schema migrations and telemetry sources.</summary>
    void Register(ModuleContext context);
}
