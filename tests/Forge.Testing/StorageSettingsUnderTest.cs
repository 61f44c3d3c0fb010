namespace Forge.Testing;

/// <summary>
/// The settings that put a test's forge on one content store: <c>local</c> (the folder, the default) or <c>s3</c> (a new
/// bucket of <see cref="S3TestServer"/>'s), for fixtures that run their tests against both.
/// </summary>
public static class StorageSettingsUnderTest
{
    /// <summary>The store kinds a fixture runs against, for <c>[TestFixtureSource]</c>.</summary>
    public static readonly string[] Kinds = ["local", "s3"];

    public static async Task<(string Key, string? Value)[]> ForAsync(string kind)
    {
        switch (kind)
        {
            case "local":
                return [];
            case "s3":
                var bucket = await (await S3TestServer.SharedAsync()).CreateBucketAsync();
                return
                [
                    ("Forge:Storage:Type", "s3"),
                    ("Forge:Storage:S3:Endpoint", bucket.Endpoint.ToString()),
                    ("Forge:Storage:S3:Bucket", bucket.Bucket),
                    ("Forge:Storage:S3:Region", bucket.Region),
                    ("Forge:Storage:S3:KeyPrefix", bucket.KeyPrefix),
                    ("Forge:Storage:S3:PathStyle", bucket.PathStyle ? "true" : "false"),
                    ("Forge:Storage:S3:AccessKey", bucket.AccessKey),
                    ("Forge:Storage:S3:SecretKey", bucket.SecretKey),
                ];
            default:
                throw new ArgumentException($"'{kind}' is not a content store kind (local or s3).", nameof(kind));
        }
    }
}
