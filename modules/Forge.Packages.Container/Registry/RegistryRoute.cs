namespace Forge.Packages.Container.Registry;

internal enum RouteKind
{
    Ping,
    Tags,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    Unknown,
}

/// <summary>
/// Where a request under <c>/v2/</c> goes. Repository names contain slashes, so the path is read from its end:
/// <c>&lt;name&gt;/tags/list</c>, <c>&lt;name&gt;/manifests/&lt;reference&gt;</c>, <c>&lt;name&gt;/blobs/uploads/[&lt;id&gt;]</c>,
/// <c>&lt;name&gt;/blobs/&lt;digest&gt;</c>.
/// </summary>
internal sealed record Route(RouteKind Kind, string? Name, string? Reference)
{
    public static Route Parse(string path)
    {
        if (path is "/v2" or "/v2/")
        {
            return new Route(RouteKind.Ping, null, null);
        }

        var rest = path.StartsWith("/v2/", StringComparison.Ordinal) ? path[4..] : path;
        if (rest.EndsWith("/tags/list", StringComparison.Ordinal))
        {
            return new Route(RouteKind.Tags, rest[..^"/tags/list".Length], null);
        }

        if (Split(rest, "/manifests/") is { } manifest)
        {
            return new Route(RouteKind.Manifest, manifest.Name, manifest.Last);
        }

        if (rest.EndsWith("/blobs/uploads", StringComparison.Ordinal) || rest.EndsWith("/blobs/uploads/", StringComparison.Ordinal))
        {
            return new Route(RouteKind.UploadStart, rest[..rest.LastIndexOf("/blobs/uploads", StringComparison.Ordinal)], null);
        }

        if (Split(rest, "/blobs/uploads/") is { } upload)
        {
            return new Route(RouteKind.Upload, upload.Name, upload.Last);
        }

        if (Split(rest, "/blobs/") is { } blob)
        {
            return new Route(RouteKind.Blob, blob.Name, blob.Last);
        }

        return new Route(RouteKind.Unknown, null, null);
    }

    /// <summary>The operation's name in telemetry, e.g. <c>manifest.put</c>.</summary>
    public string Operation(string method) => Kind switch
    {
        RouteKind.Ping => "ping",
        RouteKind.Tags => "tags.list",
        RouteKind.UploadStart => "upload.start",
        RouteKind.Unknown => "unknown",
        _ => $"{Kind.ToString().ToLowerInvariant()}.{method.ToLowerInvariant()}",
    };

    private static (string Name, string Last)? Split(string rest, string marker)
    {
        var at = rest.LastIndexOf(marker, StringComparison.Ordinal);
        if (at <= 0)
        {
            return null;
        }

        var last = rest[(at + marker.Length)..];
        return last.Length == 0 || last.Contains('/', StringComparison.Ordinal) ? null : (rest[..at], last);
    }
}

/// <summary>Counts the bytes read through it (a request body, for the bytes-received counter).</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long Count { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Count;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Count += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Count += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
