using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Forge.Testing.Oci;

/// <summary>A registry account as skopeo's <c>--creds</c> options take it. Its password never appears in <see cref="ToString"/>.</summary>
public sealed record SkopeoCredentials(string User, string Password)
{
    public override string ToString() => $"{User}:{Skopeo.Redacted}";
}

/// <summary>How skopeo reaches one side of an operation: TLS or plain HTTP, and which account, if any.</summary>
public sealed record SkopeoAccess(bool PlainHttp = false, SkopeoCredentials? Credentials = null)
{
    /// <summary>A registry on plain HTTP (Forge on loopback), anonymously.</summary>
    public static SkopeoAccess Http { get; } = new(PlainHttp: true);

    /// <summary>A registry on plain HTTP with <paramref name="user"/>'s credentials.</summary>
    public static SkopeoAccess HttpAs(string user, string password) => new(true, new SkopeoCredentials(user, password));
}

/// <summary>What a skopeo run did. <see cref="Command"/> and <see cref="Errors"/> have every credential replaced by <see cref="Skopeo.Redacted"/>.</summary>
public sealed record SkopeoResult(string Command, int ExitCode, string Output, string Errors)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"{Command} exited {ExitCode.ToString(CultureInfo.InvariantCulture)}: {Errors}";
}

/// <summary>
/// Runs Debian's <c>skopeo</c> (build/ensure-skopeo installs it) with a timeout. Credentials go on the command line as
/// the registry tests need them, but never into anything this class reports: commands and standard error are redacted.
/// Each run uses an empty authentication file of its own, so the machine's logins cannot stand in for missing credentials.
/// </summary>
public sealed class Skopeo
{
    public const string Redacted = "***";

    /// <summary>How long a run may take before it is killed and <see cref="TimeoutException"/> is thrown.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    private static readonly string[] Locations = ["/usr/bin/skopeo", "/usr/local/bin/skopeo"];

    public static string Executable
        => Locations.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("skopeo is not installed: build/ensure-skopeo installs Debian's skopeo package.");

    /// <summary><c>skopeo copy --all</c>: the image and, for an index, every platform's image, digests unchanged.</summary>
    public Task<SkopeoResult> CopyAllAsync(string source, string destination, SkopeoAccess? from = null, SkopeoAccess? to = null, CancellationToken cancellation = default)
        => RunAsync(["copy", "--all", .. Options("src-", from), .. Options("dest-", to), source, destination], cancellation);

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
        var secrets = Secrets(arguments);
        var command = Redact("skopeo " + string.Join(' ', arguments), secrets);
        var authDirectory = Path.Combine(Path.GetTempPath(), $"forge-skopeo-{Guid.NewGuid():N}");
        Directory.CreateDirectory(authDirectory);
        var authFile = Path.Combine(authDirectory, "auth.json");
        await File.WriteAllTextAsync(authFile, """{"auths":{}}""", cancellation);
        try
        {
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.Environment["REGISTRY_AUTH_FILE"] = authFile;
            // The tests' own images are unsigned; the machine's /etc/containers/policy.json is not theirs to depend on.
            start.ArgumentList.Add("--insecure-policy");
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                cancellation.ThrowIfCancellationRequested();
                throw new TimeoutException($"{command} did not finish within {Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: {Redact(await errors, secrets)}");
            }

            return new SkopeoResult(command, process.ExitCode, await output, Redact(await errors, secrets));
        }
        finally
        {
            Directory.Delete(authDirectory, recursive: true);
        }
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

    /// <summary>
    /// What must not be reported: the <c>user:password</c> after any <c>--*creds</c> option, its password, and its
    /// Basic encoding (skopeo's debug output can show an Authorization header).
    /// </summary>
    private static List<string> Secrets(IReadOnlyList<string> arguments)
    {
        var secrets = new List<string>();
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            string? value = null;
            if (argument.StartsWith("--", StringComparison.Ordinal) && argument.Contains("creds", StringComparison.Ordinal))
            {
                var equals = argument.IndexOf('=', StringComparison.Ordinal);
                value = equals >= 0 ? argument[(equals + 1)..] : i + 1 < arguments.Count ? arguments[i + 1] : null;
            }

            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

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

    /// <summary>Redacts the credentials of <paramref name="arguments"/> from <paramref name="text"/>; for tests of the redaction itself.</summary>
    public static string RedactCredentials(string text, IReadOnlyList<string> arguments) => Redact(text, Secrets(arguments));
}
