using Amazon.S3;
using Amazon.S3.Model;

namespace Forge.Packages.Content;

/// <summary>
/// A blob of <see cref="S3ContentStore"/> opened for reading: seekable, its <see cref="Length"/> known from the HEAD that
/// opened it. Nothing is fetched until the first read, which asks for the bytes from the position to the end with a
/// ranged GET and reads on in that response; a seek to another position drops the response, and the next read asks
/// again from there. So serving a range, or copying the whole, costs one GET.
/// </summary>
internal sealed class S3ContentReadStream(S3ContentStore store, IAmazonS3 client, string bucket, string key, long length) : Stream
{
    private GetObjectResponse? response;
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count)
        => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (position >= length || buffer.IsEmpty)
        {
            return 0;
        }

        response ??= await store.CallAsync($"read of {key} from byte {position}", () => client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ByteRange = new ByteRange(position, length - 1),
        }, cancellationToken));
        var read = await response.ResponseStream.ReadAsync(buffer, cancellationToken);
        if (read == 0)
        {
            throw new IOException($"S3 read of {key} ended at byte {position} of {length}: the object changed or the connection was cut ({store.Description})");
        }

        position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "Begin, Current or End."),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        if (target != position)
        {
            DropResponse();
            position = target;
        }

        return position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("The content of a blob is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The content of a blob is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DropResponse();
        }

        base.Dispose(disposing);
    }

    private void DropResponse()
    {
        response?.Dispose();
        response = null;
    }
}
