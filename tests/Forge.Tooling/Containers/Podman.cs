namespace Forge.Tooling.Containers;

/// <summary>
/// Debian's <c>podman</c> (build/ensure-podman installs it) in a throwaway folder of its own: vfs storage, run root, temporary
/// folder, network configuration, registries (no search registries) and the authentication file <c>podman login</c> writes
/// all live there, given through <c>CONTAINERS_CONF</c>, <c>CONTAINERS_STORAGE_CONF</c>, <c>REGISTRIES_CONFIG_PATH</c> and
/// <c>REGISTRY_AUTH_FILE</c>, so that it reads and leaves nothing of the machine's. Disposing it removes the folder.
/// </summary>
public sealed class Podman : IDisposable
{
    public Podman()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"forge-podman-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, "registries.conf"), "unqualified-search-registries = []\n");
        File.WriteAllText(Path.Combine(Folder, "storage.conf"), $"""
            [storage]
            driver = "vfs"
            runroot = "{Path.Combine(Folder, "run")}"
            graphroot = "{Path.Combine(Folder, "root")}"

            """);
        File.WriteAllText(Path.Combine(Folder, "containers.conf"), $"""
            [engine]
            events_logger = "file"
            cgroup_manager = "cgroupfs"
            tmp_dir = "{Path.Combine(Folder, "tmp")}"

            [network]
            network_config_dir = "{Path.Combine(Folder, "net")}"

            """);
        Directory.CreateDirectory(Path.Combine(Folder, "xdg"));
        // podman refuses to search or pull when REGISTRY_AUTH_FILE names a file that does not exist: no logins yet.
        File.WriteAllText(AuthFile, """{"auths":{}}""");
    }

    public static string Executable => InstalledProgram.Path("podman", "build/ensure-podman installs Debian's podman package.");

    /// <summary>The folder that holds podman's storage and configuration for this instance.</summary>
    public string Folder { get; }

    /// <summary>Where <c>podman login</c> keeps its credentials.</summary>
    public string AuthFile => Path.Combine(Folder, "auth.json");

    /// <summary>How long a command may take before it is killed and <see cref="TimeoutException"/> is thrown.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Runs <c>podman arguments</c>, with <paramref name="input"/> on its standard input.</summary>
    public Task<ChildProcessResult> RunAsync(IReadOnlyList<string> arguments, string? input = null)
        => ChildProcess.RunAsync(
            new ChildProcessCommand(Executable, arguments)
            {
                Environment = new Dictionary<string, string?>
                {
                    ["CONTAINERS_CONF"] = Path.Combine(Folder, "containers.conf"),
                    ["CONTAINERS_STORAGE_CONF"] = Path.Combine(Folder, "storage.conf"),
                    ["REGISTRIES_CONFIG_PATH"] = Path.Combine(Folder, "registries.conf"),
                    ["REGISTRY_AUTH_FILE"] = AuthFile,
                    ["XDG_RUNTIME_DIR"] = Path.Combine(Folder, "xdg"),
                },
                StandardInput = input,
            },
            Timeout);

    /// <summary><c>podman login --tls-verify=false -u user --password-stdin registry</c>, for Forge on plain HTTP.</summary>
    public Task<ChildProcessResult> LoginAsync(string registry, string user, string password)
        => RunAsync(["login", "--tls-verify=false", "--username", user, "--password-stdin", registry], password + "\n");

    /// <summary><c>podman search --tls-verify=false registry/term</c>: the repositories of the registry's catalog whose names hold the term, one a line.</summary>
    public Task<ChildProcessResult> SearchAsync(string registry, string term)
        => RunAsync(["search", "--tls-verify=false", "--format", "{{.Name}}", $"{registry}/{term}"]);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
