namespace Forge.Packages.Content;

/// <summary>The chunks kept of an upload session do not cover the bytes its row counts: those bytes are lost.</summary>
public sealed class MissingUploadChunkException(string message) : IOException(message);
