using Forge.Modularity;

namespace Forge.Host.Tests.Support;

/// <summary>A module only the tests know: it registers what the test gives it and counts its registrations.</summary>
public sealed class TestModule(
    string name,
    IReadOnlyList<string>? dependencies = null,
    Action<ModuleContext>? register = null,
    IReadOnlyList<string>? cronTaskNames = null) : IModule
{
    public const string DefaultName = "Test";

    public string Name => name;

    public IReadOnlyList<string> Dependencies => dependencies ?? [];

    public IReadOnlyList<string> CronTaskNames => cronTaskNames ?? [];

    /// <summary>How many times the host called <see cref="Register"/>.</summary>
    public int RegisterCalls { get; private set; }

    /// <summary>A module declaring one cron task done by <typeparamref name="TTask"/>.</summary>
    public static TestModule WithCronTask<TTask>(CronTaskDefinition definition, string name = DefaultName)
        where TTask : class, ICronTask
        => new(name, register: context => context.AddCronTask<TTask>(definition), cronTaskNames: [definition.Name]);

    public void Register(ModuleContext context)
    {
        RegisterCalls++;
        register?.Invoke(context);
    }
}
