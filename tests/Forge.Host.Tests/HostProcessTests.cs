using Forge.Host.Tests.Support;

namespace Forge.Host.Tests;

/// <summary>The built <c>forge</c> program with its embedded default database, stopped the way a service manager stops it.</summary>
[NonParallelizable]
public sealed class HostProcessTests
{
    // The first start creates a cluster and migrates it: slow on a busy machine, so the wait is long.
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(2);

    [TestCase(Signal.SIGTERM)]
    [TestCase(Signal.SIGINT)]
    public async Task The_host_stops_cleanly_on_a_signal_and_stops_its_embedded_database(Signal signal)
    {
        await using var scratch = new ScratchDirectory();
        var dataDirectory = Path.Combine(scratch.Path, "postgres", "cluster", "data");
        using var host = HostProcess.Start(new Dictionary<string, string> { ["Forge__DataPath"] = scratch.Path }, "run");
        Assert.That(await host.WaitUntilErrorsContainAsync("Application started", StartDeadline), Is.True, host.Errors);
        Assert.That(PostgresProcesses.Of(dataDirectory), Is.Not.Empty, "the embedded database runs");

        PostgresProcesses.Send(host.Id, signal);

        var exited = await host.WaitForExitAsync(Poll.Deadline);
        var left = await PostgresProcesses.LeftAfterStopAsync(dataDirectory);
        Assert.Multiple(() =>
        {
            Assert.That(exited, Is.True, "the host exits");
            Assert.That(exited ? host.ExitCode : -1, Is.Zero, host.Errors);
            Assert.That(left, Is.Empty, "no server is left running");
        });
    }
}
