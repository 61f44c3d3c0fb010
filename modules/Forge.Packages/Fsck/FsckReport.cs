using System.Text.Json;

namespace Forge.Packages.Fsck;

/// <summary>What <c>packages fsck</c> found in the content store compared with package_blob.</summary>
public sealed record FsckReport
{
    public bool Repair { get; init; }
    public long CutoffUnix { get; init; }
    public long BlobRows { get; init; }
    public long ContentFiles { get; init; }

    /// <summary>Files no blob row names (left by a crash between a commit and a file removal).</summary>
    public IReadOnlyList<string> StrayFiles { get; init; } = [];

    /// <summary>Blob rows whose file is gone: data loss. Never "repaired" by deleting rows.</summary>
    public IReadOnlyList<string> MissingFiles { get; init; } = [];

    /// <summary>Files whose bytes do not hash to their name.</summary>
    public IReadOnlyList<string> CorruptFiles { get; init; } = [];

    /// <summary>Files in the hash folders whose names are not SHA-256 digests; never touched.</summary>
    public IReadOnlyList<string> UnexpectedFiles { get; init; } = [];

    public long StrayFilesRemoved { get; init; }
    public long BytesFreed { get; init; }

    public bool Healthy => MissingFiles.Count == 0 && CorruptFiles.Count == 0;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);
}
