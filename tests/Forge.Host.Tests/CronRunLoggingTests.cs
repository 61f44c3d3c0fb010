using System.Text.RegularExpressions;
using Forge.Host.Tests.Support;
using Forge.Packages.ExpiredData;
using Forge.Packages.Container.Cleanup;

namespace Forge.Host.Tests;

/// <summary>The console log of <c>forge run</c>: every line of a cron run names the run's trace.</summary>
public sealed partial class CronRunLoggingTests : DatabaseTest
{
    [Test]
    public async Task Every_line_logged_during_a_run_carries_the_trace_id_of_the_run()
    {
        await using var scratch = new ScratchDirectory();
        using var host = HostProcess.Start(
            new Dictionary<string, string>
            {
                ["ConnectionStrings__Forge"] = Database.ConnectionString,
                ["Forge__Packages__StorePath"] = Path.Combine(scratch.Path, "packages"),
                // One task at start, so that no other run's lines fall between its first and last.
                [$"Forge__Cron__{DanglingImageCleanupTask.Name}__Enabled"] = "false",
            },
            "run");

        Assert.That(await host.WaitUntilErrorsContainAsync($"Cron task {ExpiredDataCleanupTask.Name} finished", Poll.Deadline), Is.True, host.Errors);

        var lines = host.Errors.Split('\n');
        var first = Array.FindIndex(lines, l => l.Contains($"Cron task {ExpiredDataCleanupTask.Name} started", StringComparison.Ordinal));
        var last = Array.FindIndex(lines, l => l.Contains($"Cron task {ExpiredDataCleanupTask.Name} finished", StringComparison.Ordinal));
        // The run's own lines (Forge's loggers but the start-up's registrar): the host's start-up lines
        // may interleave with them on a busy machine.
        var run = lines[first..(last + 1)]
            .Where(l => l.Contains(": Forge.", StringComparison.Ordinal) && !l.Contains("CronScheduleRegistrar", StringComparison.Ordinal))
            .ToArray();
        var traceId = TraceId().Match(run[0]).Groups[1].Value;
        Assert.Multiple(() =>
        {
            Assert.That(traceId, Has.Length.EqualTo(32), run[0]);
            Assert.That(run, Has.Length.GreaterThanOrEqualTo(3), "started, the task's report, finished");
            Assert.That(run, Has.All.Contains($"TraceId:{traceId}"), host.Errors);
            Assert.That(lines[..first], Has.None.Contains($"TraceId:{traceId}"), "the trace begins with the run");
        });
    }

    [GeneratedRegex("TraceId:([0-9a-f]{32})")]
    private static partial Regex TraceId();
}
