namespace Forge.Packages.Content;

/// <summary>
/// Where the S3 content store's bucket is (<c>Forge:Storage:S3:*</c>, read and checked by <see cref="StorageSettings"/>).
/// </summary>
/// <param name="Endpoint">The service URL, e.g. <c>https://s3.eu-west-1.amazonaws.com</c> or <c>http://minio:9000</c>.</param>
/// <param name="Bucket">The bucket, which must exist.</param>
/// <param name="Region">The region requests are signed for (<c>us-east-1</c> for most servers that are not AWS).</param>
/// <param name="KeyPrefix">Put before every key, ending in '/' unless empty; Forgejo's default is <c>packages/</c>.</param>
/// <param name="PathStyle">Address the bucket in the path (<c>http://host/bucket/key</c>), as MinIO and most others want, rather than as a host name.</param>
/// <param name="AccessKey">The access key id. Never logged.</param>
/// <param name="SecretKey">The secret access key. Never logged, never in <see cref="ToString"/>.</param>
public sealed record S3StorageSettings(
    Uri Endpoint, string Bucket, string Region, string KeyPrefix, bool PathStyle, string AccessKey, string SecretKey)
{
    /// <summary>
    /// Whether blob downloads are redirected to a presigned URL of the bucket (<c>Forge:Storage:S3:ServeDirect</c>, as
    /// Forgejo's <c>SERVE_DIRECT</c>), so that the bytes go from the bucket to the client, not through the node.
    /// </summary>
    public bool ServeDirect { get; init; }

    /// <summary>How long a presigned URL of <see cref="ServeDirect"/> stays valid.</summary>
    public TimeSpan ServeDirectExpiry { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>The bucket's place, without the keys.</summary>
    public override string ToString() => $"s3 bucket {Bucket} at {Endpoint} (region {Region}, key prefix '{KeyPrefix}')";
}
