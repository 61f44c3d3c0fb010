namespace Forge.Packages.Content;

/// <summary>
/// A read-only stream over another that reports the bytes read through it, when it is disposed: seeking, lengths
/// and ranges work as the inner stream's do.
/// </summary>
internal sealed class CountingReadStream(Stream inner, Action<long> report) : Stream
{
    private long read;
    private bool reported;

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => Counted(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Report();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Report();
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private int Counted(int count)
    {
        read += count;
        return count;
    }

    private void Report()
    {
        if (!reported)
        {
            reported = true;
            report(read);
        }
    }
}
