using Forge.Modularity;

namespace Forge.Host.Tests.Support;

/// <summary>A module only the tests know: it declares the cron tasks and registers what the test gives it, and counts its registrations.</summary>
public sealed class TestModule(
    string name,
    IReadOnlyList<string>? dependencies = null,
    Action<ModuleContext>? register = null,
    IReadOnlyList<CronTaskDefinition>? cronTasks = null) : IModule
{
    public const string DefaultName = "Test";

    public string Name => name;

    public IReadOnlyList<string> Dependencies => dependencies ?? [];

    public IReadOnlyList<CronTaskDefinition> CronTasks => cronTasks ?? [];

    /// <summary>How many times the host called <see cref="Register"/>.</summary>
    public int RegisterCalls { get; private set; }

    /// <summary>A module declaring one cron task.</summary>
    public static TestModule WithCronTask(CronTaskDefinition definition, string name = DefaultName)
        => new(name, cronTasks: [definition]);

    public void Register(ModuleContext context)
    {
        RegisterCalls++;
        register?.Invoke(context);
    }
}
