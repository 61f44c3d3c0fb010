namespace Forge.Packages.Schema;

/// <summary>An upload session in progress; its bytes live in the temporary upload folder.</summary>
public sealed class PackageBlobUpload
{
    public string Id { get; set; } = string.Empty;
    public long BytesReceived { get; set; }
    public byte[]? HashStateBytes { get; set; }
    public long CreatedUnix { get; set; }
    public long UpdatedUnix { get; set; }

    /// <summary>
    /// Forge's addition: the repository (<c>owner/image</c>, lower case) the session was started for; only that
    /// repository's requests may continue it. NULL for sessions other tools wrote.
    /// </summary>
    public string? Repository { get; set; }
}
