using System.Globalization;

namespace Forge.Tooling.Oci;

/// <summary>What a skopeo run did, and how long it took. <see cref="Command"/> and <see cref="Errors"/> have every credential replaced by <see cref="Skopeo.Redacted"/>.</summary>
public sealed record SkopeoResult(string Command, int ExitCode, string Output, string Errors, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"{Command} exited {ExitCode.ToString(CultureInfo.InvariantCulture)}: {Errors}";
}
