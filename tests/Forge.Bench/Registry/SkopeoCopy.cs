using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Forge.Bench.Registry;

/// <summary>
/// <c>skopeo copy --all</c> between an image layout and a registry on plain HTTP, timed. Credentials go into an
/// authentication file of the copy's own (never on the command line); an empty one for a registry without
/// authentication, so that the machine's logins play no part.
/// </summary>
public static class SkopeoCopy
{
    private static readonly string[] Locations = ["/usr/bin/skopeo", "/usr/local/bin/skopeo"];

    // The benchmark's own image is unsigned; the machine's /etc/containers/policy.json is not its to depend on.
    private static readonly string[] Copy = ["--insecure-policy", "copy", "--all", "--quiet"];

    public static string Executable
        => Locations.FirstOrDefault(File.Exists)
            ?? throw new BenchException("skopeo is not installed: build/ensure-skopeo installs Debian's skopeo package.");

    /// <summary>Pushes <c>oci:&lt;layout&gt;:&lt;tag&gt;</c> to <c>docker://&lt;host&gt;/&lt;repository&gt;:&lt;tag&gt;</c>; the seconds it took.</summary>
    public static Task<double> PushAsync(string layout, string tag, RegistryServer server, string repository, string scratch)
        => CopyAsync(["--dest-tls-verify=false", $"oci:{layout}:{tag}", $"docker://{server.Host}/{repository}:{tag}"], server, scratch);

    /// <summary>Pulls <c>docker://&lt;host&gt;/&lt;repository&gt;:&lt;tag&gt;</c> into a new layout <paramref name="layout"/>; the seconds it took.</summary>
    public static Task<double> PullAsync(RegistryServer server, string repository, string tag, string layout, string scratch)
        => CopyAsync(["--src-tls-verify=false", $"docker://{server.Host}/{repository}:{tag}", $"oci:{layout}:{tag}"], server, scratch);

    private static async Task<double> CopyAsync(string[] arguments, RegistryServer server, string scratch)
    {
        var authFile = Path.Combine(scratch, $"auth-{Guid.NewGuid():N}.json");
        var auths = new JsonObject();
        if (server.Account is { } account)
        {
            auths[server.Host] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account.Name}:{account.Password}")) };
        }

        await File.WriteAllTextAsync(authFile, new JsonObject { ["auths"] = auths }.ToJsonString());
        try
        {
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["REGISTRY_AUTH_FILE"] = authFile;
            foreach (var argument in Copy.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new BenchException("Could not start skopeo.");
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var seconds = clock.Elapsed.TotalSeconds;
            if (process.ExitCode != 0)
            {
                throw new BenchException($"skopeo copy --all {string.Join(' ', arguments)} against {server.Contender} failed with exit code {process.ExitCode}: " +
                                         $"{(await errors).Trim()} {(await output).Trim()}; the server said: {server.RecentOutput()}");
            }

            return seconds;
        }
        finally
        {
            File.Delete(authFile);
        }
    }
}
