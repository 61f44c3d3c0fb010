using System.Text.Json;

namespace Forge.Packages.Content;

/// <summary>What <c>packages storage migrate</c> did: the blobs package_blob names, and what became of each.</summary>
public sealed record StorageMigrationReport
{
    public required string From { get; init; }
    public required string To { get; init; }

    /// <summary>Blob rows looked at.</summary>
    public long Blobs { get; init; }

    /// <summary>Copied, verified by their SHA-256 on the way and by their size once stored.</summary>
    public long Copied { get; init; }

    public long BytesCopied { get; init; }

    /// <summary>Already in the destination with the row's size (an earlier, interrupted run copied them).</summary>
    public long AlreadyThere { get; init; }

    /// <summary>Rows deleted while the migration ran (the expired-data cleanup): nothing to copy.</summary>
    public long Gone { get; init; }

    /// <summary>Rows whose content the source does not have: nothing to copy, and data loss to restore from a backup.</summary>
    public IReadOnlyList<string> MissingInSource { get; init; } = [];

    /// <summary>Source content that does not hash to its name: not copied.</summary>
    public IReadOnlyList<string> CorruptInSource { get; init; } = [];

    /// <summary>Rows whose hash is not a lower-case SHA-256 digest: they name no content.</summary>
    public IReadOnlyList<string> NotAHash { get; init; } = [];

    /// <summary>Blobs whose copy failed (the error is in the log); a later run copies them.</summary>
    public IReadOnlyList<string> Failed { get; init; } = [];

    /// <summary>Every blob the rows name is in the destination.</summary>
    public bool Complete => MissingInSource.Count == 0 && CorruptInSource.Count == 0 && Failed.Count == 0;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);
}
