using System.Collections.Concurrent;
using Forge.Modularity;

namespace Forge.Host.Tests.Support;

/// <summary>A cron task that succeeds and remembers each run in <see cref="CronTaskProbe"/>.</summary>
public sealed class ProbeTask : ICronTask
{
    public Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken)
    {
        CronTaskProbe.Record(context);
        return Task.FromResult(CronTaskResult.Success($"probe run {context.RunId}"));
    }
}

/// <summary>A cron task that throws every time it runs.</summary>
public sealed class FailingTask : ICronTask
{
    public const string Message = "the test task fails on purpose";

    public Task<CronTaskResult> RunAsync(CronTaskContext context, CancellationToken cancellationToken)
    {
        CronTaskProbe.Record(context);
        throw new InvalidOperationException(Message);
    }
}

/// <summary>What the test tasks saw, by task name; tests use a task name of their own, so runs never mix.</summary>
public static class CronTaskProbe
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<CronRunTrigger>> Runs = new(StringComparer.OrdinalIgnoreCase);

    public static void Record(CronTaskContext context) => Runs.GetOrAdd(context.TaskName, _ => new()).Enqueue(context.Trigger);

    public static IReadOnlyList<CronRunTrigger> RunsOf(string task) => Runs.TryGetValue(task, out var runs) ? [.. runs] : [];
}
