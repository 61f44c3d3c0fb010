using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Forge.Tooling.Oci;

/// <summary>
/// Runs Debian's <c>skopeo</c> (build/ensure-skopeo installs it) with a timeout. Credentials of a <see cref="SkopeoAccess"/>
/// go on the command line, as the registry tests need them; those of <see cref="Logins"/> go into the run's authentication
/// file instead, out of sight of process listings, as the benchmark wants them. Neither ever reaches anything this class
/// reports: commands and standard error are redacted. Each run has an authentication file of its own, so that the machine's
/// logins cannot stand in for missing credentials.
/// </summary>
public sealed class Skopeo
{
    public const string Redacted = "***";

    /// <summary>How long a run may take before it is killed and <see cref="TimeoutException"/> is thrown; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Accounts by registry (<c>host:port</c>) that each run's authentication file holds; none by default.</summary>
    public IReadOnlyDictionary<string, SkopeoCredentials> Logins { get; init; } = new Dictionary<string, SkopeoCredentials>();

    public static string Executable => InstalledProgram.Path("skopeo", "build/ensure-skopeo installs Debian's skopeo package.");

    /// <summary>
    /// <c>skopeo copy --all</c>: the image and, for an index, every platform's image, digests unchanged; <paramref name="quiet"/>
    /// leaves out the progress lines (which a timed copy should not spend its time writing).
    /// </summary>
    public Task<SkopeoResult> CopyAllAsync(string source, string destination, SkopeoAccess? from = null, SkopeoAccess? to = null, bool quiet = false, CancellationToken cancellation = default)
        => RunAsync(["copy", "--all", .. quiet ? ["--quiet"] : Array.Empty<string>(), .. Options("src-", from), .. Options("dest-", to), source, destination], cancellation);

    /// <summary><c>skopeo inspect --raw</c>: the manifest or index exactly as the source serves it, in <see cref="SkopeoResult.Output"/>.</summary>
    public Task<SkopeoResult> InspectRawAsync(string image, SkopeoAccess? access = null, CancellationToken cancellation = default)
        => RunAsync(["inspect", "--raw", .. Options("", access), image], cancellation);

    /// <summary><c>skopeo delete</c>: deletes the manifest <paramref name="image"/> names.</summary>
    public Task<SkopeoResult> DeleteAsync(string image, SkopeoAccess? access = null, CancellationToken cancellation = default)
        => RunAsync(["delete", .. Options("", access), image], cancellation);

    /// <summary>
    /// <c>skopeo sync --all</c> from <paramref name="source"/> of transport <paramref name="sourceTransport"/> (<c>docker</c>,
    /// <c>dir</c> or <c>yaml</c>) to <paramref name="destination"/> of transport <paramref name="destinationTransport"/> (<c>docker</c> or <c>dir</c>).
    /// </summary>
    public Task<SkopeoResult> SyncAsync(string sourceTransport, string source, string destinationTransport, string destination, SkopeoAccess? from = null, SkopeoAccess? to = null, CancellationToken cancellation = default)
        => RunAsync(["sync", "--all", "--src", sourceTransport, "--dest", destinationTransport, .. Options("src-", from), .. Options("dest-", to), source, destination], cancellation);

    /// <summary>Runs skopeo with <paramref name="arguments"/> as given; its exit code and both outputs.</summary>
    public async Task<SkopeoResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellation = default)
    {
        var secrets = Secrets([.. CredentialsOnCommandLine(arguments), .. Logins.Values.Select(l => $"{l.User}:{l.Password}")]);
        var command = Redact("skopeo " + string.Join(' ', arguments), secrets);
        var authDirectory = Path.Combine(Path.GetTempPath(), $"forge-skopeo-{Guid.NewGuid():N}");
        Directory.CreateDirectory(authDirectory);
        var authFile = Path.Combine(authDirectory, "auth.json");
        await File.WriteAllTextAsync(authFile, AuthFile(), cancellation);
        try
        {
            var clock = Stopwatch.StartNew();
            // The images are the tests' and the benchmark's own, unsigned; the machine's /etc/containers/policy.json is not theirs to depend on.
            using var process = ChildProcess.Start(new ChildProcessCommand(Executable, ["--insecure-policy", .. arguments])
            {
                Environment = new Dictionary<string, string?> { ["REGISTRY_AUTH_FILE"] = authFile },
            });
            if (!await process.WaitForExitAsync(Timeout, cancellation))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{command} did not finish within {Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: {Redact(process.Errors, secrets)}");
            }

            return new SkopeoResult(command, process.ExitCode, process.Output, Redact(process.Errors, secrets), clock.Elapsed);
        }
        finally
        {
            Directory.Delete(authDirectory, recursive: true);
        }
    }

    /// <summary>Redacts the credentials of <paramref name="arguments"/> from <paramref name="text"/>; for tests of the redaction itself.</summary>
    public static string RedactCredentials(string text, IReadOnlyList<string> arguments) => Redact(text, Secrets(CredentialsOnCommandLine(arguments)));

    private string AuthFile()
    {
        var auths = new JsonObject();
        foreach (var (registry, login) in Logins)
        {
            auths[registry] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login.User}:{login.Password}")) };
        }

        return new JsonObject { ["auths"] = auths }.ToJsonString();
    }

    private static IEnumerable<string> Options(string side, SkopeoAccess? access)
    {
        if (access is null)
        {
            yield break;
        }

        if (access.PlainHttp)
        {
            yield return $"--{side}tls-verify=false";
        }

        if (access.Credentials is { } credentials)
        {
            yield return $"--{side}creds";
            yield return $"{credentials.User}:{credentials.Password}";
        }
    }

    /// <summary>The <c>user:password</c> after each <c>--*creds</c> option.</summary>
    private static List<string> CredentialsOnCommandLine(IReadOnlyList<string> arguments)
    {
        var found = new List<string>();
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument.StartsWith("--", StringComparison.Ordinal) && argument.Contains("creds", StringComparison.Ordinal))
            {
                var equals = argument.IndexOf('=', StringComparison.Ordinal);
                var value = equals >= 0 ? argument[(equals + 1)..] : i + 1 < arguments.Count ? arguments[i + 1] : null;
                if (!string.IsNullOrEmpty(value))
                {
                    found.Add(value);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// What must not be reported of each <c>user:password</c>: itself, its password, and its Basic encoding (skopeo's debug
    /// output can show an Authorization header).
    /// </summary>
    private static List<string> Secrets(IEnumerable<string> credentials)
    {
        var secrets = new List<string>();
        foreach (var value in credentials)
        {
            secrets.Add(value);
            secrets.Add(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)));
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && colon + 1 < value.Length)
            {
                secrets.Add(value[(colon + 1)..]);
            }
        }

        // Longest first, so that a password inside user:password does not leave the user's part half-redacted.
        return secrets.OrderByDescending(s => s.Length).ToList();
    }

    private static string Redact(string text, List<string> secrets)
        => secrets.Aggregate(text, (current, secret) => current.Replace(secret, Redacted, StringComparison.Ordinal));
}
