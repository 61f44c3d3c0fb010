using Forge.Tooling;

namespace Forge.Bench.Tests;

/// <summary>
/// The benchmarks read reports from their children's standard output: a command run to its end must hand back all it
/// wrote (the cleanup's dry-run report at a million versions is about 35 MB), while a process left running keeps
/// only the end of what it wrote.
/// </summary>
[TestFixture]
public sealed class ChildProcessOutputTests
{
    private const int Written = 5_000_000;

    private static readonly ChildProcessCommand WriteMany = new("sh", ["-c", $"head -c {Written} /dev/zero | tr '\\0' a; printf end"]);

    [Test]
    public async Task A_command_run_to_its_end_keeps_everything_it_wrote()
    {
        var result = await ChildProcess.RunAsync(WriteMany, TimeSpan.FromMinutes(1));

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero);
            Assert.That(result.Output, Has.Length.EqualTo(Written + 3));
            Assert.That(result.Output, Does.StartWith("aaa").And.EndWith("aend"));
        });
    }

    [Test]
    public async Task A_process_left_running_keeps_the_end_of_what_it_wrote()
    {
        using var child = ChildProcess.Start(WriteMany);
        await child.WaitForExitAsync();

        Assert.Multiple(() =>
        {
            Assert.That(child.Output.Length, Is.LessThan(Written / 2));
            Assert.That(child.Output, Does.EndWith("aend"));
        });
    }
}
