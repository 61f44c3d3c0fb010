using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Content;

/// <summary>
/// Where package content is kept: <c>Forge:Storage:Type</c> <c>local</c> (the default: the folder
/// <c>Forge:Packages:StorePath</c>) or <c>s3</c> (a bucket, <c>Forge:Storage:S3:*</c>). Read and checked at start; a
/// bad value is a <see cref="ModuleSettingException"/> of one line that names the key and never shows a secret.
/// </summary>
public static class StorageSettings
{
    public const string TypeKey = "Forge:Storage:Type";
    public const string S3Section = "Forge:Storage:S3";

    /// <summary>
    /// This node's packages folder, <c>Forge:Packages:StorePath</c> (default <c>&lt;Forge:DataPath&gt;/packages</c>): the
    /// folder store's content, and with either store the staging folder (<see cref="ContentStaging"/>).
    /// </summary>
    public static string StorePath(IConfiguration configuration)
    {
        var dataPath = configuration["Forge:DataPath"] is { Length: > 0 } configured ? configured : ".forge";
        return configuration["Forge:Packages:StorePath"] is { Length: > 0 } store ? store : Path.Combine(dataPath, "packages");
    }

    /// <summary>The S3 settings when the type is <c>s3</c>; null for the folder store.</summary>
    public static S3StorageSettings? Read(IConfiguration configuration)
    {
        var type = configuration[TypeKey];
        switch (type?.Trim().ToLowerInvariant())
        {
            case null or "" or "local":
                return null;
            case "s3":
                return ReadS3(configuration);
            default:
                throw new ModuleSettingException($"{TypeKey} is '{type}': it must be local or s3.");
        }
    }

    /// <summary>The bucket's settings, whatever the type (<c>packages storage migrate</c> copies to or from it).</summary>
    public static S3StorageSettings ReadS3(IConfiguration configuration)
    {
        var endpoint = Endpoint(configuration);
        var bucket = Required(configuration, "Bucket", "the name of an existing bucket");
        if (!IsBucketName(bucket))
        {
            throw new ModuleSettingException(
                $"{S3Section}:Bucket is '{bucket}': it must be 3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit.");
        }

        var region = configuration[$"{S3Section}:Region"] is { Length: > 0 } r && !string.IsNullOrWhiteSpace(r) ? r.Trim() : "us-east-1";
        if (!region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ModuleSettingException($"{S3Section}:Region is '{region}': it must be a region name such as us-east-1 (lower-case letters, digits and '-').");
        }

        var prefix = configuration[$"{S3Section}:KeyPrefix"] is { } p ? p.Trim() : "packages/";
        if (prefix.StartsWith('/') || prefix.Contains("//", StringComparison.Ordinal) || prefix.Any(char.IsControl))
        {
            throw new ModuleSettingException(
                $"{S3Section}:KeyPrefix is '{prefix}': it must be empty or a relative key prefix such as packages/ (no leading '/', no empty segment).");
        }

        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        var pathStyle = ModuleSettings.Boolean(configuration, $"{S3Section}:PathStyle", true);
        var accessKey = Secret(configuration, "AccessKey", "AWS_ACCESS_KEY_ID");
        var secretKey = Secret(configuration, "SecretKey", "AWS_SECRET_ACCESS_KEY");
        return new S3StorageSettings(endpoint, bucket, region, prefix, pathStyle, accessKey, secretKey)
        {
            ServeDirect = ModuleSettings.Boolean(configuration, $"{S3Section}:ServeDirect", false),
            // S3 signs a URL for at most seven days.
            ServeDirectExpiry = ModuleSettings.Duration(
                configuration, $"{S3Section}:ServeDirectExpiry", TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(1), TimeSpan.FromDays(7)),
        };
    }

    private static Uri Endpoint(IConfiguration configuration)
    {
        var text = Required(configuration, "Endpoint", "the service URL, for example http://minio:9000 or https://s3.eu-west-1.amazonaws.com");
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            // The value is not shown: a URL that fails to parse may still carry a password.
            throw new ModuleSettingException($"{S3Section}:Endpoint is not an http or https URL: it must be the service URL, for example http://minio:9000.");
        }

        if (endpoint.UserInfo.Length > 0)
        {
            throw new ModuleSettingException(
                $"{S3Section}:Endpoint carries credentials in the URL: set {S3Section}:AccessKey and {S3Section}:SecretKey instead.");
        }

        if (endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0)
        {
            throw new ModuleSettingException($"{S3Section}:Endpoint is '{endpoint}': it must be a service URL without a query or fragment.");
        }

        return endpoint;
    }

    private static string Required(IConfiguration configuration, string name, string what)
        => configuration[$"{S3Section}:{name}"] is { } value && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : throw new ModuleSettingException($"{S3Section}:{name} is not set: with {TypeKey} s3 it must be {what}.");

    /// <summary>A key from its setting, or else from the environment variable the AWS tools read; never shown.</summary>
    private static string Secret(IConfiguration configuration, string name, string environmentVariable)
    {
        var value = configuration[$"{S3Section}:{name}"];
        if (string.IsNullOrWhiteSpace(value))
        {
            value = configuration[environmentVariable];
        }

        return !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : throw new ModuleSettingException($"{S3Section}:{name} is not set (nor {environmentVariable}): with {TypeKey} s3 it must be the bucket's {(name == "AccessKey" ? "access key id" : "secret access key")}.");
    }

    private static bool IsBucketName(string name)
        => name.Length is >= 3 and <= 63
           && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')
           && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);
}
