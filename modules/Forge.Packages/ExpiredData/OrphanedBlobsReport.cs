namespace Forge.Packages.ExpiredData;

/// <summary>What <see cref="OrphanedBlobsStep"/> removed: blobs no file uses, and their content files.</summary>
public sealed record OrphanedBlobsReport : ExpiredDataStepReport
{
    public long Blobs { get; init; }
    public long ContentFilesRemoved { get; init; }

    /// <summary>Content files already gone when the cleanup came to remove them.</summary>
    public long ContentFilesMissing { get; init; }

    /// <summary>Content files kept because the same content was uploaded again after its old row went.</summary>
    public long ContentFilesReused { get; init; }

    /// <summary>Content files whose removal failed; logged, and left queued for the next run.</summary>
    public long ContentFilesFailed { get; init; }

    public override string Line(string verb, bool dryRun)
        => $"orphaned blobs: {verb} {Blobs}" +
           (dryRun ? string.Empty : $" ({ContentFilesRemoved} file(s) removed, {ContentFilesFailed} failed, {ContentFilesMissing} already gone)");

    public override string SummaryPart() => $"{Blobs} orphaned blob(s)";

    public override string? Warning() => ContentFilesFailed > 0 ? $"{ContentFilesFailed} content file(s) could not be removed" : null;
}
