using Forge.Packages.ExpiredData;

namespace Forge.Packages.Container.ExpiredData;

/// <summary>What <see cref="ExpiredUploadsStep"/> removed: expired upload sessions and their partial files, and stale files.</summary>
public sealed record ExpiredUploadsReport : ExpiredDataStepReport
{
    public long Sessions { get; init; }
    public long Files { get; init; }

    /// <summary>Files older than the cutoff in <c>uploads/</c> without a session, or in <c>tmp/</c>: left by a crash.</summary>
    public long StaleFiles { get; init; }

    public override string Line(string verb, bool dryRun) => $"expired uploads: {verb} {Sessions} session(s), {Files} partial file(s)";

    public override string SummaryPart() => $"{Sessions} expired upload(s)";
}
