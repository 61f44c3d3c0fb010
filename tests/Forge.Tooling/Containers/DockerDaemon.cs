using System.Diagnostics;
using System.Globalization;

namespace Forge.Tooling.Containers;

/// <summary>
/// A private Docker daemon for one test run: <c>dockerd</c> (build/ensure-docker installs Debian's docker.io) with its data
/// root, exec root, socket and pid file in a throwaway folder, vfs storage, and no bridge or iptables rules, so that it
/// touches nothing of the machine's. <see cref="StartAsync"/> returns once <c>docker version</c> answers through its socket;
/// <see cref="DisposeAsync"/> stops it and removes the folder. A daemon that a killed test run left behind (its owner gone)
/// is killed and its folder removed by the next start.
/// </summary>
public sealed class DockerDaemon : IAsyncDisposable
{
    /// <summary>The prefix of every daemon's folder in the temporary folder, by which stale ones are found.</summary>
    public const string FolderPrefix = "forge-dockerd-";

    /// <summary>The file in a daemon's folder with the process id of the test run that started it: once that is gone, the daemon is stale.</summary>
    public const string OwnerFile = "owner.pid";
    private const string PidFile = "docker.pid";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(20);

    private readonly ChildProcess process;
    private bool disposed;

    private DockerDaemon(string folder, ChildProcess process)
    {
        Folder = folder;
        this.process = process;
    }

    /// <summary>The throwaway folder that holds everything of this daemon: data, exec root, socket, the clients' configurations.</summary>
    public string Folder { get; }

    /// <summary>The daemon's socket, as clients take it in <c>DOCKER_HOST</c>.</summary>
    public string Host => $"unix://{Path.Combine(Folder, "docker.sock")}";

    /// <summary>What the daemon wrote so far (its log), for messages when something went wrong.</summary>
    public string Log => process.Errors + process.Output;

    /// <summary>The daemon's process id, as its pid file has it.</summary>
    public int ProcessId => process.Id;

    public static string Executable => InstalledProgram.Path("dockerd", "build/ensure-docker installs Debian's docker.io package.");

    /// <summary>Starts a daemon in a new folder and waits until <paramref name="client"/> (a docker client program) gets an answer from it.</summary>
    public static async Task<DockerDaemon> StartAsync(string client)
    {
        if (!string.Equals(System.Environment.UserName, "root", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("dockerd runs as root only: run the docker client tests as root.");
        }

        await RemoveStaleAsync();
        // A short folder name: the daemon's containerd puts a unix socket under it, whose path may not pass 107 bytes.
        var folder = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, OwnerFile), System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var daemon = new DockerDaemon(folder, ChildProcess.Start(new ChildProcessCommand(Executable,
        [
            "--iptables=false", "--bridge=none", "--storage-driver=vfs",
            "--data-root", Path.Combine(folder, "data"),
            "--exec-root", Path.Combine(folder, "exec"),
            "--host", $"unix://{Path.Combine(folder, "docker.sock")}",
            "--pidfile", Path.Combine(folder, PidFile),
        ])));
        try
        {
            await daemon.WaitUntilAnsweringAsync(client);
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the daemon as its service would (SIGTERM, so that it stops its containerd too), kills it with its children
    /// when it has not gone within 20 s, and removes its folder. Disposing it again does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        try
        {
            if (!process.HasExited)
            {
                await TerminateAsync(process.Id);
                if (!await process.WaitForExitAsync(StopDeadline))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            process.Dispose();
            // A later start may have found this daemon stale already (its owner killed) and removed it.
            if (Directory.Exists(Folder))
            {
                await RemoveFolderAsync(Folder);
            }
        }
    }

    private async Task WaitUntilAnsweringAsync(string client)
    {
        var clock = Stopwatch.StartNew();
        var command = new ChildProcessCommand(client, ["version", "--format", "{{.Server.Version}}"])
        {
            Environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = Host, ["DOCKER_CONFIG"] = Path.Combine(Folder, "version-config") },
        };
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"dockerd exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)} before it answered: {Log}");
            }

            var answer = await ChildProcess.RunAsync(command, TimeSpan.FromSeconds(30));
            if (answer.Succeeded)
            {
                return;
            }

            if (clock.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"dockerd did not answer `docker version` within {StartDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: {answer.Errors} {Log}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Kills the daemons (and their containerd) whose test run is gone, and removes their folders.</summary>
    private static async Task RemoveStaleAsync()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = ReadPid(Path.Combine(folder, OwnerFile));
            if (owner is { } running && IsRunning(running))
            {
                continue;
            }

            if (ReadPid(Path.Combine(folder, PidFile)) is { } daemon && IsProgram(daemon, "dockerd"))
            {
                await KillAsync(daemon);
            }

            await RemoveFolderAsync(folder);
        }
    }

    /// <summary>
    /// Removes a stopped daemon's folder: its containerd, if still running, is killed, and the mounts it left are
    /// unmounted first (dockerd bind-mounts its data root onto itself and undoes that only when it stops cleanly).
    /// </summary>
    private static async Task RemoveFolderAsync(string folder)
    {
        await KillContainerdAsync(folder);
        var prefix = folder + "/";
        var mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4])
            .Where(point => point.StartsWith(prefix, StringComparison.Ordinal))
            .OrderByDescending(point => point.Length)
            .ToList();
        foreach (var point in mounts)
        {
            var unmounted = await ChildProcess.RunAsync(new ChildProcessCommand("umount", [point]), TimeSpan.FromSeconds(30));
            if (!unmounted.Succeeded)
            {
                throw new IOException($"Could not unmount {point} of a stopped dockerd: {unmounted.Errors.Trim()}");
            }
        }

        Directory.Delete(folder, recursive: true);
    }

    /// <summary>The daemon starts its containerd itself; one left running when the daemon was killed goes here.</summary>
    private static async Task KillContainerdAsync(string folder)
    {
        if (ReadPid(Path.Combine(folder, "exec", "containerd", "containerd.pid")) is { } containerd && IsProgram(containerd, "containerd"))
        {
            await KillAsync(containerd);
        }
    }

    private static async Task TerminateAsync(int pid)
        => await ChildProcess.RunAsync(new ChildProcessCommand("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]), TimeSpan.FromSeconds(10));

    private static async Task KillAsync(int pid)
    {
        try
        {
            using var stale = Process.GetProcessById(pid);
            stale.Kill(entireProcessTree: true);
            await stale.WaitForExitAsync();
        }
        catch (ArgumentException)
        {
            // It went by itself.
        }
    }

    private static int? ReadPid(string file)
        => File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    private static bool IsProgram(int pid, string name)
    {
        var comm = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm";
        try
        {
            return File.Exists(comm) && string.Equals(File.ReadAllText(comm).Trim(), name, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
