using Forge.Packages.ExpiredData;

namespace Forge.Packages.Container.ExpiredData;

/// <summary>What <see cref="ExpiredUploadedBlobsStep"/> removed: old files of upload versions, then those versions left empty.</summary>
public sealed record ExpiredUploadedBlobsReport : ExpiredDataStepReport
{
    public long Files { get; init; }
    public long FileProperties { get; init; }
    public long Versions { get; init; }
    public long VersionProperties { get; init; }

    public override string Line(string verb, bool dryRun) => $"unused uploaded blobs: {verb} {Files} file(s), {Versions} _upload version(s)";

    public override string SummaryPart() => $"{Files} unused uploaded file(s)";
}
