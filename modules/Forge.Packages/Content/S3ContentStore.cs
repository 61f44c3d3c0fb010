using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Forge.Packages.Content;

/// <summary>
/// The content store in an S3-compatible bucket (<c>Forge:Storage:Type</c> <c>s3</c>): a blob is the object
/// <c>&lt;prefix&gt;&lt;h[0:2]&gt;/&lt;h[2:4]&gt;/&lt;h&gt;</c>, as Forgejo keeps package blobs in MinIO. Staged content is
/// uploaded in one request, or in parts past <see cref="MultipartThreshold"/>; S3 makes an object visible only once it
/// is whole. A failed request throws <see cref="IOException"/> naming the bucket, the endpoint and S3's error code.
/// </summary>
public sealed class S3ContentStore : IContentStore, IDisposable
{
    /// <summary>Content this large or larger is uploaded in parts.</summary>
    public const long MultipartThreshold = 16L << 20;

    /// <summary>The size of each part but the last, unless the content needs larger ones to stay within S3's 10,000 parts.</summary>
    public const long PartSize = 8L << 20;

    private const int MaximumParts = 10_000;

    private readonly S3StorageSettings settings;
    private readonly IAmazonS3 client;
    private readonly int listPageSize;
    private volatile bool bucketSeen;

    /// <param name="settings">The bucket and the keys.</param>
    /// <param name="listPageSize">The keys <see cref="EnumerateAsync"/> asks for per request (S3 gives at most 1,000).</param>
    public S3ContentStore(S3StorageSettings settings, int listPageSize = 1000)
        : this(settings, ClientFor(settings), listPageSize)
    {
    }

    /// <param name="settings">The bucket and the keys.</param>
    /// <param name="client">The client to send requests with, made by <see cref="ClientFor"/>; disposed with the store.</param>
    /// <param name="listPageSize">The keys <see cref="EnumerateAsync"/> asks for per request (S3 gives at most 1,000).</param>
    public S3ContentStore(S3StorageSettings settings, IAmazonS3 client, int listPageSize = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(listPageSize, 1);
        this.settings = settings;
        this.client = client;
        this.listPageSize = listPageSize;
    }

    public string Description => settings.ToString();

    /// <summary>
    /// A client for the settings' endpoint that S3-compatible servers understand, not only AWS: path-style when asked,
    /// signed for the settings' region, and no checksums unless an operation requires them (SDK v4 sends a CRC32 with
    /// every upload by default, as a header or an aws-chunked trailer, which servers older than that default may reject).
    /// Uploads also set <see cref="PutObjectRequest.UseChunkEncoding"/> off, for a plain body of known length: a server
    /// that does not know aws-chunked encoding (s3rver) stores the chunk framing as part of the object.
    /// </summary>
    public static AmazonS3Client ClientFor(S3StorageSettings settings)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = settings.Endpoint.ToString(),
            ForcePathStyle = settings.PathStyle,
            AuthenticationRegion = settings.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        return new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public async Task<long?> SizeOfAsync(string sha256, CancellationToken cancellationToken)
        => (await HeadAsync(KeyOf(sha256), cancellationToken))?.ContentLength;

    /// <summary>
    /// Asks for the object's size only; the bytes are fetched when read, from the stream's position to the end, and again
    /// from wherever it is moved to (<see cref="S3ContentReadStream"/>).
    /// </summary>
    public async Task<Stream?> OpenReadAsync(string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        return await HeadAsync(key, cancellationToken) is { } head
            ? new S3ContentReadStream(this, client, settings.Bucket, key, head.ContentLength)
            : null;
    }

    /// <summary>A presigned GET of the blob's object when <see cref="S3StorageSettings.ServeDirect"/> is on; signed here, no request.</summary>
    public async Task<Uri?> DirectReadUrlAsync(string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        if (!settings.ServeDirect)
        {
            return null;
        }

        var url = await CallAsync($"presigning of {key}", () => client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = settings.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow + settings.ServeDirectExpiry,
            Protocol = settings.Endpoint.Scheme == Uri.UriSchemeHttps ? Protocol.HTTPS : Protocol.HTTP,
        }));
        return new Uri(url);
    }

    public async Task PublishAsync(StagedContent staged, CancellationToken cancellationToken)
    {
        await UploadAsync(KeyOf(staged.Sha256), staged.TemporaryPath, 0, new FileInfo(staged.TemporaryPath).Length, cancellationToken);
        File.Delete(staged.TemporaryPath);
    }

    /// <summary>The bucket, the keys and the client, for the upload chunks kept in the same bucket (<see cref="S3UploadChunks"/>).</summary>
    internal S3StorageSettings Settings => settings;

    internal IAmazonS3 Client => client;

    /// <summary>
    /// Uploads the bytes [<paramref name="position"/>, <paramref name="position"/> + <paramref name="length"/>) of a
    /// local file as the object <paramref name="key"/>: in one request, or in parts from <see cref="MultipartThreshold"/>.
    /// </summary>
    internal async Task UploadAsync(string key, string path, long position, long length, CancellationToken cancellationToken)
    {
        if (length >= MultipartThreshold)
        {
            await UploadInPartsAsync(key, path, position, length, cancellationToken);
            return;
        }

        if (position == 0 && new FileInfo(path).Length == length)
        {
            await CallAsync($"upload of {key}", () => client.PutObjectAsync(
                new PutObjectRequest { BucketName = settings.Bucket, Key = key, FilePath = path, UseChunkEncoding = false }, cancellationToken));
            return;
        }

        // Part of a file: read into memory, which is below the multipart threshold.
        var bytes = new byte[length];
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: true))
        {
            file.Position = position;
            await file.ReadExactlyAsync(bytes, cancellationToken);
        }

        await CallAsync($"upload of {key}", () => client.PutObjectAsync(
            new PutObjectRequest { BucketName = settings.Bucket, Key = key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false }, cancellationToken));
    }

    /// <summary>The object's bytes from <paramref name="from"/> up to <paramref name="to"/> (exclusive), written to <paramref name="destination"/>.</summary>
    internal async Task CopyRangeAsync(string key, long from, long to, Stream destination, CancellationToken cancellationToken)
    {
        using var response = await CallAsync($"read of {key} from byte {from}", () => client.GetObjectAsync(
            new GetObjectRequest { BucketName = settings.Bucket, Key = key, ByteRange = new ByteRange(from, to - 1) }, cancellationToken));
        await response.ResponseStream.CopyToAsync(destination, cancellationToken);
    }

    public async Task<long?> DeleteAsync(string sha256, CancellationToken cancellationToken)
    {
        var key = KeyOf(sha256);
        if (await HeadAsync(key, cancellationToken) is not { } head)
        {
            return null;
        }

        await CallAsync($"delete of {key}", () => client.DeleteObjectAsync(settings.Bucket, key, cancellationToken));
        return head.ContentLength;
    }

    /// <summary>
    /// The objects under the key prefix whose keys have the shape <c>xx/yy/name</c> (two two-character folders), listed
    /// <c>listPageSize</c> keys per request, each named by its last segment, whatever that is: fsck reports the names
    /// that are not hashes.
    /// </summary>
    public async IAsyncEnumerable<StoredContent> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = settings.Bucket,
                Prefix = settings.KeyPrefix,
                MaxKeys = listPageSize,
                ContinuationToken = continuation,
            };
            var page = await CallAsync($"listing of '{settings.KeyPrefix}'", () => client.ListObjectsV2Async(request, cancellationToken));
            foreach (var stored in page.S3Objects ?? [])
            {
                if (NameOf(stored.Key) is { } name)
                {
                    yield return new StoredContent(name, stored.Size ?? 0, new DateTimeOffset(stored.LastModified ?? DateTime.UnixEpoch, TimeSpan.Zero));
                }
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    public void Dispose() => client.Dispose();

    /// <summary>Runs one S3 request; a failure becomes the <see cref="IOException"/> of <see cref="FailureOf"/>.</summary>
    internal async Task<T> CallAsync<T>(string what, Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            throw FailureOf(what, e);
        }
    }

    private static bool IsRequestFailure(Exception e) => e is AmazonServiceException or AmazonClientException or HttpRequestException;

    /// <summary>
    /// What was asked of which bucket at which endpoint, and S3's error code and HTTP status when there was an answer;
    /// never the keys (the SDK's messages do not carry them, and they are cut out of any server's that would).
    /// </summary>
    private IOException FailureOf(string what, Exception e)
    {
        var reason = e switch
        {
            // An answer without a body (to HEAD, say): the SDK's message only repeats the status.
            AmazonServiceException { StatusCode: not 0 } answered when answered.Message.StartsWith("Error making request with Error Code", StringComparison.Ordinal)
                => $"{answered.ErrorCode} (HTTP {(int)answered.StatusCode})",
            AmazonServiceException { StatusCode: not 0 } answered => $"{answered.ErrorCode} (HTTP {(int)answered.StatusCode}): {answered.Message}",
            _ => e.Message,
        };
        return new IOException($"S3 {what} failed: {Redacted(reason)} ({settings})", e);
    }

    private string Redacted(string message)
        => Cut(Cut(message, settings.SecretKey, "[secret key]"), settings.AccessKey, "[access key]");

    private static string Cut(string message, string key, string mark)
        => key.Length == 0 ? message : message.Replace(key, mark, StringComparison.Ordinal);

    private string KeyOf(string sha256) => settings.KeyPrefix + ContentKeys.RelativeKeyOf(sha256);

    /// <summary>The last segment of a key <c>&lt;prefix&gt;xx/yy/name</c>; null for a key of another shape.</summary>
    private string? NameOf(string key)
    {
        if (!key.StartsWith(settings.KeyPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var segments = key[settings.KeyPrefix.Length..].Split('/');
        return segments is [{ Length: 2 }, { Length: 2 }, { Length: > 0 } name] ? name : null;
    }

    /// <summary>
    /// The object's metadata; null when there is no such object. HEAD answers 404 without a body for a missing bucket too,
    /// so the first 404 checks that the bucket is there, and throws when it is not.
    /// </summary>
    private async Task<GetObjectMetadataResponse?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetObjectMetadataAsync(settings.Bucket, key, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            await EnsureBucketAsync(cancellationToken);
            return null;
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            throw FailureOf($"HEAD of {key}", e);
        }
    }

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (bucketSeen)
        {
            return;
        }

        await CallAsync("check that the bucket exists", () => client.HeadBucketAsync(new HeadBucketRequest { BucketName = settings.Bucket }, cancellationToken));
        bucketSeen = true;
    }

    /// <summary>
    /// Uploads <paramref name="size"/> bytes of the file from <paramref name="start"/> in parts of <see cref="PartSize"/>
    /// (larger when they would need more than 10,000), one after the other; the upload is aborted, leaving no parts
    /// behind, when one fails.
    /// </summary>
    private async Task UploadInPartsAsync(string key, string path, long start, long size, CancellationToken cancellationToken)
    {
        var partSize = Math.Max(PartSize, (size + MaximumParts - 1) / MaximumParts);
        var upload = await CallAsync($"start of a multipart upload of {key}", () => client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = settings.Bucket, Key = key }, cancellationToken));
        try
        {
            var parts = new List<PartETag>();
            for (var (number, position) = (1, 0L); position < size; number++, position += partSize)
            {
                var request = new UploadPartRequest
                {
                    BucketName = settings.Bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                    FilePath = path,
                    FilePosition = start + position,
                    PartSize = Math.Min(partSize, size - position),
                    IsLastPart = position + partSize >= size,
                    UseChunkEncoding = false,
                };
                var part = await CallAsync($"upload of part {number} of {key}", () => client.UploadPartAsync(request, cancellationToken));
                parts.Add(new PartETag(number, part.ETag));
            }

            await CallAsync($"completion of the multipart upload of {key}", () => client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = settings.Bucket, Key = key, UploadId = upload.UploadId, PartETags = parts },
                cancellationToken));
        }
        catch
        {
            await AbortAsync(key, upload.UploadId);
            throw;
        }
    }

    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            await client.AbortMultipartUploadAsync(settings.Bucket, key, uploadId, CancellationToken.None);
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            // The upload's failure is what the caller hears about; a bucket's lifecycle rule removes parts left behind.
        }
    }
}
