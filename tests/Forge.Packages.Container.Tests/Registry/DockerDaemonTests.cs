using System.Globalization;
using Forge.Tooling;
using Forge.Tooling.Containers;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>The private dockerd of the docker client tests: it answers, it goes with its folder, and one whose test run died goes at the next start.</summary>
[Category("Registry")]
[NonParallelizable]
public sealed class DockerDaemonTests
{
    [Test]
    public async Task A_daemon_whose_test_run_is_gone_is_killed_and_removed_by_the_next_start()
    {
        var stale = await DockerDaemon.StartAsync(DockerClient.DebianProgram);
        try
        {
            var version = await new DockerClient(stale, DockerClient.DebianProgram).RunAsync("version", "--format", "{{.Server.Version}}");
            Assert.That(version.Succeeded, Is.True, version.Errors);
            // As if the test run that started it had been killed: its owner is a process that has exited.
            var gone = await ExitedProcessIdAsync();
            await File.WriteAllTextAsync(Path.Combine(stale.Folder, DockerDaemon.OwnerFile), gone.ToString(CultureInfo.InvariantCulture));

            await using (var next = await DockerDaemon.StartAsync(DockerClient.DebianProgram))
            {
                Assert.That(Directory.Exists(stale.Folder), Is.False, "the stale daemon's folder is removed");
                Assert.That(IsRunning(stale.ProcessId), Is.False, "the stale daemon is killed");
                Assert.That(ProcessesNaming(stale.Folder), Is.Empty, "and its containerd");
                Assert.That(Directory.Exists(next.Folder), Is.True);
                Assert.That(IsRunning(next.ProcessId), Is.True);
                await stale.DisposeAsync();
                Assert.That(IsRunning(next.ProcessId), Is.True, "disposing the stale one leaves the live one alone");
                var folder = next.Folder;
                var pid = next.ProcessId;
                await next.DisposeAsync();
                Assert.That(Directory.Exists(folder), Is.False, "a stopped daemon's folder is removed");
                Assert.That(IsRunning(pid), Is.False, "and the daemon stopped");
                Assert.That(ProcessesNaming(folder), Is.Empty, "with its containerd");
            }
        }
        finally
        {
            await stale.DisposeAsync();
        }
    }

    private static async Task<int> ExitedProcessIdAsync()
    {
        using var child = ChildProcess.Start(new ChildProcessCommand("true", []));
        await child.WaitForExitAsync();
        return child.Id;
    }

    /// <summary>The live processes whose command line names <paramref name="folder"/>.</summary>
    private static List<string> ProcessesNaming(string folder)
    {
        var found = new List<string>();
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(p => Path.GetFileName(p).All(char.IsAsciiDigit)))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(process, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(folder, StringComparison.Ordinal) && IsRunning(int.Parse(Path.GetFileName(process), CultureInfo.InvariantCulture)))
                {
                    found.Add(commandLine);
                }
            }
            catch (IOException)
            {
                // It exited while we looked.
            }
        }

        return found;
    }

    private static bool IsRunning(int pid)
    {
        var status = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat";
        // A killed child not yet reaped is a zombie (state Z): gone for our purpose.
        return File.Exists(status) && File.ReadAllText(status).Split(' ')[2] != "Z";
    }
}
