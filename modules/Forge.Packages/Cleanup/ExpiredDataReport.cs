using System.Text.Json;

namespace Forge.Packages.Cleanup;

/// <summary>What one run of the expired-data cleanup removed, step by step; in a dry run, what it would.</summary>
public sealed record ExpiredDataReport
{
    public bool DryRun { get; init; }
    public bool Skipped { get; init; }
    public long OlderThanSeconds { get; init; }
    public long CutoffUnix { get; init; }
    public ExpiredUploadsStep ExpiredUploads { get; init; } = new();
    public ExpiredUploadedBlobsStep ExpiredUploadedBlobs { get; init; } = new();
    public EmptyPackagesStep EmptyPackages { get; init; } = new();
    public OrphanedBlobsStep OrphanedBlobs { get; init; } = new();

    /// <summary>Bytes of content files removed (in a dry run: the sizes of the blobs that would go).</summary>
    public long BytesFreed { get; init; }

    public double DurationSeconds { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string Summary()
        => Skipped
            ? "skipped: another run of the expired-data cleanup is in progress"
            : $"{(DryRun ? "dry run: would remove" : "removed")} {ExpiredUploads.Sessions} expired upload(s), " +
              $"{ExpiredUploadedBlobs.Files} unused uploaded file(s), {EmptyPackages.Packages} empty package(s), " +
              $"{OrphanedBlobs.Blobs} orphaned blob(s); {BytesFreed} bytes freed" +
              (OrphanedBlobs.ContentFilesFailed > 0 ? $"; {OrphanedBlobs.ContentFilesFailed} content file(s) could not be removed" : string.Empty);
}

/// <summary>Step 1: upload sessions not updated since the cutoff, and their partial files.</summary>
public sealed record ExpiredUploadsStep
{
    public long Sessions { get; init; }
    public long Files { get; init; }

    /// <summary>Files older than the cutoff in <c>uploads/</c> without a session, or in <c>tmp/</c>: left by a crash.</summary>
    public long StaleFiles { get; init; }
}

/// <summary>Step 2: files of the internal <c>_upload</c> versions, then those versions left empty.</summary>
public sealed record ExpiredUploadedBlobsStep
{
    public long Files { get; init; }
    public long FileProperties { get; init; }
    public long Versions { get; init; }
    public long VersionProperties { get; init; }
}

/// <summary>Step 3: packages without any version, with their package properties.</summary>
public sealed record EmptyPackagesStep
{
    public long Packages { get; init; }
    public long Properties { get; init; }
}

/// <summary>Step 4: blobs no file uses, and their content files (removed after the rows' commit).</summary>
public sealed record OrphanedBlobsStep
{
    public long Blobs { get; init; }
    public long ContentFilesRemoved { get; init; }

    /// <summary>Content files already gone when the cleanup came to remove them.</summary>
    public long ContentFilesMissing { get; init; }

    /// <summary>Content files kept because the same content was uploaded again after its old row went.</summary>
    public long ContentFilesReused { get; init; }

    /// <summary>Content files whose removal failed; logged, and left for <c>packages fsck --repair</c>.</summary>
    public long ContentFilesFailed { get; init; }
}
