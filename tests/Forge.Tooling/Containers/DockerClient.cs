using System.Text.RegularExpressions;

namespace Forge.Tooling.Containers;

/// <summary>
/// A docker client program (Debian's <c>/usr/bin/docker</c> or another on PATH) talking to a <see cref="DockerDaemon"/>, with
/// a configuration folder of its own inside the daemon's folder: what <c>docker login</c> stores stays there and goes with
/// it, and neither the machine's logins nor its credential helpers stand in for missing credentials.
/// </summary>
public sealed partial class DockerClient
{
    private readonly DockerDaemon daemon;

    public DockerClient(DockerDaemon daemon, string program)
    {
        this.daemon = daemon;
        Program = program;
        ConfigFolder = Path.Combine(daemon.Folder, $"config-{Guid.NewGuid():N}");
        Directory.CreateDirectory(ConfigFolder);
        // An empty configuration: no credential store or helper of the machine's.
        File.WriteAllText(Path.Combine(ConfigFolder, "config.json"), "{}");
    }

    /// <summary>Where Debian's docker.io package puts its client.</summary>
    public const string DebianPath = "/usr/bin/docker";

    /// <summary>Debian's client, which build/ensure-docker installs; when it is missing, throws saying so.</summary>
    public static string DebianProgram => File.Exists(DebianPath)
        ? DebianPath
        : throw new FileNotFoundException($"Debian's docker client is not installed at {DebianPath}: build/ensure-docker installs the docker.io package.", DebianPath);

    public string Program { get; }

    /// <summary>This client's <c>DOCKER_CONFIG</c>: <c>config.json</c> with its logins, <c>manifests/</c> with the lists <c>docker manifest create</c> made.</summary>
    public string ConfigFolder { get; }

    /// <summary>How long a command may take before it is killed and <see cref="TimeoutException"/> is thrown.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Every docker client on this machine: Debian's first (when installed), then each other program named <c>docker</c>
    /// on PATH (a newer client from elsewhere), each once.
    /// </summary>
    public static IReadOnlyList<string> OnThisMachine()
    {
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var candidate in new[] { DebianPath }.Concat(path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(folder => Path.Combine(folder, "docker"))))
        {
            if (File.Exists(candidate) && seen.Add(RealPath(candidate)))
            {
                found.Add(candidate);
            }
        }

        return found;
    }

    /// <summary>Runs <c>docker arguments</c>, with <paramref name="input"/> on its standard input.</summary>
    public Task<ChildProcessResult> RunAsync(IReadOnlyList<string> arguments, string? input = null)
        => ChildProcess.RunAsync(
            new ChildProcessCommand(Program, arguments)
            {
                Environment = new Dictionary<string, string?> { ["DOCKER_HOST"] = daemon.Host, ["DOCKER_CONFIG"] = ConfigFolder },
                StandardInput = input,
            },
            Timeout);

    public Task<ChildProcessResult> RunAsync(params string[] arguments) => RunAsync((IReadOnlyList<string>)arguments);

    /// <summary><c>docker login -u user --password-stdin registry</c>: the password never on a command line.</summary>
    public Task<ChildProcessResult> LoginAsync(string registry, string user, string password)
        => RunAsync(["login", "--username", user, "--password-stdin", registry], password + "\n");

    /// <summary>The client's version, e.g. <c>20.10.24+dfsg1</c>.</summary>
    public async Task<string> VersionAsync()
    {
        var version = await RunAsync("version", "--format", "{{.Client.Version}}");
        return version.Succeeded ? version.Output.Trim() : throw new InvalidOperationException($"{Program} version failed: {version.Errors}");
    }

    /// <summary>The image ID (its config's digest) of a local image, or null when the daemon has no such image.</summary>
    public async Task<string?> ImageIdAsync(string image)
    {
        var inspected = await RunAsync("image", "inspect", "--format", "{{.Id}}", image);
        return inspected.Succeeded ? inspected.Output.Trim() : null;
    }

    /// <summary>The digest that <c>docker push</c> or <c>docker pull</c> printed (<c>digest: sha256:…</c> or <c>Digest: sha256:…</c>).</summary>
    public static string ReportedDigest(ChildProcessResult result)
    {
        var match = DigestLine().Match(result.Output);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"No digest in docker's output: {result.Output}");
    }

    public override string ToString() => Program;

    /// <summary>The file a path names once links are followed, its folder's included (<c>/bin</c> is <c>/usr/bin</c> on Debian).</summary>
    private static string RealPath(string file)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/";
        var realFolder = new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder;
        var inRealFolder = Path.Combine(realFolder, Path.GetFileName(file));
        return new FileInfo(inRealFolder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? inRealFolder;
    }

    [GeneratedRegex(@"[Dd]igest: (sha256:[0-9a-f]{64})", RegexOptions.CultureInvariant)]
    private static partial Regex DigestLine();
}
