using Forge.Modularity;
using Forge.Packages.Content;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Tests.Content;

/// <summary>Forge:Storage:* as read at start: the defaults, and a one-line error for each bad value that never shows a secret.</summary>
public sealed class StorageSettingsTests
{
    private const string Secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";

    private static readonly Dictionary<string, string?> Bucket = new()
    {
        ["Forge:Storage:Type"] = "s3",
        ["Forge:Storage:S3:Endpoint"] = "http://minio.internal:9000",
        ["Forge:Storage:S3:Bucket"] = "forge-packages",
        ["Forge:Storage:S3:AccessKey"] = "forge",
        ["Forge:Storage:S3:SecretKey"] = Secret,
    };

    [TestCase(null)]
    [TestCase("")]
    [TestCase("local")]
    [TestCase(" Local ")]
    public void The_folder_store_is_the_default_and_local(string? type)
        => Assert.That(StorageSettings.Read(Configuration(new() { ["Forge:Storage:Type"] = type })), Is.Null);

    [Test]
    public void An_unknown_type_names_the_two_allowed()
        => Assert.That(Error(new() { ["Forge:Storage:Type"] = "minio" }), Is.EqualTo("Forge:Storage:Type is 'minio': it must be local or s3."));

    [Test]
    public void A_bucket_takes_the_defaults_of_region_key_prefix_and_path_style()
    {
        var settings = StorageSettings.Read(Configuration(Bucket))!;

        Assert.Multiple(() =>
        {
            Assert.That(settings.Endpoint, Is.EqualTo(new Uri("http://minio.internal:9000")));
            Assert.That(settings.Bucket, Is.EqualTo("forge-packages"));
            Assert.That(settings.Region, Is.EqualTo("us-east-1"));
            Assert.That(settings.KeyPrefix, Is.EqualTo("packages/"), "Forgejo's default base path in a bucket");
            Assert.That(settings.PathStyle, Is.True);
            Assert.That((settings.AccessKey, settings.SecretKey), Is.EqualTo(("forge", Secret)));
            Assert.That((settings.ServeDirect, settings.ServeDirectExpiry), Is.EqualTo((false, TimeSpan.FromMinutes(20))), "the node serves blobs unless told");
        });
    }

    [Test]
    public void Serve_direct_takes_its_expiry_as_a_duration()
    {
        var configuration = With("ServeDirect", "true");
        configuration["Forge:Storage:S3:ServeDirectExpiry"] = "1h30m";

        var settings = StorageSettings.Read(Configuration(configuration))!;

        Assert.That((settings.ServeDirect, settings.ServeDirectExpiry), Is.EqualTo((true, TimeSpan.FromMinutes(90))));
    }

    [TestCase("forge", "forge/")]
    [TestCase("forge/packages/", "forge/packages/")]
    [TestCase("", "")]
    public void A_key_prefix_ends_in_a_slash_unless_empty(string written, string read)
        => Assert.That(StorageSettings.Read(Configuration(With("KeyPrefix", written)))!.KeyPrefix, Is.EqualTo(read));

    [TestCase("Endpoint", null, "Forge:Storage:S3:Endpoint is not set: with Forge:Storage:Type s3 it must be the service URL, for example http://minio:9000 or https://s3.eu-west-1.amazonaws.com.")]
    [TestCase("Endpoint", "minio:9000", "Forge:Storage:S3:Endpoint is not an http or https URL: it must be the service URL, for example http://minio:9000.")]
    [TestCase("Endpoint", "http://minio:9000/?x=1", "Forge:Storage:S3:Endpoint is 'http://minio:9000/?x=1': it must be a service URL without a query or fragment.")]
    [TestCase("Bucket", null, "Forge:Storage:S3:Bucket is not set: with Forge:Storage:Type s3 it must be the name of an existing bucket.")]
    [TestCase("Bucket", "Forge_Packages", "Forge:Storage:S3:Bucket is 'Forge_Packages': it must be 3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit.")]
    [TestCase("Region", "EU West", "Forge:Storage:S3:Region is 'EU West': it must be a region name such as us-east-1 (lower-case letters, digits and '-').")]
    [TestCase("KeyPrefix", "/packages/", "Forge:Storage:S3:KeyPrefix is '/packages/': it must be empty or a relative key prefix such as packages/ (no leading '/', no empty segment).")]
    [TestCase("ServeDirect", "yes", "Forge:Storage:S3:ServeDirect is 'yes': it must be true or false.")]
    [TestCase("ServeDirectExpiry", "30s", "Forge:Storage:S3:ServeDirectExpiry is '30s': it must be between 1m and 168h.")]
    [TestCase("ServeDirectExpiry", "8d", "Forge:Storage:S3:ServeDirectExpiry is '8d': unknown unit 'd' (one of h, m, s, ms, us, ns).")]
    [TestCase("PathStyle", "sometimes", "Forge:Storage:S3:PathStyle is 'sometimes': it must be true or false.")]
    [TestCase("AccessKey", null, "Forge:Storage:S3:AccessKey is not set (nor AWS_ACCESS_KEY_ID): with Forge:Storage:Type s3 it must be the bucket's access key id.")]
    [TestCase("SecretKey", "  ", "Forge:Storage:S3:SecretKey is not set (nor AWS_SECRET_ACCESS_KEY): with Forge:Storage:Type s3 it must be the bucket's secret access key.")]
    public void A_bad_or_missing_bucket_setting_is_one_line_naming_it(string key, string? value, string message)
        => Assert.That(Error(With(key, value)), Is.EqualTo(message));

    [Test]
    public void Credentials_in_the_endpoint_are_refused_without_showing_them()
    {
        var message = Error(With("Endpoint", $"http://forge:{Secret}@minio:9000"));

        Assert.That(message, Is.EqualTo(
            "Forge:Storage:S3:Endpoint carries credentials in the URL: set Forge:Storage:S3:AccessKey and Forge:Storage:S3:SecretKey instead."));
    }

    [Test]
    public void The_keys_come_from_the_aws_environment_variables_when_the_settings_are_unset()
    {
        var configuration = With("AccessKey", null);
        configuration["Forge:Storage:S3:SecretKey"] = null;
        configuration["AWS_ACCESS_KEY_ID"] = "from-env";
        configuration["AWS_SECRET_ACCESS_KEY"] = "env-secret";

        var settings = StorageSettings.Read(Configuration(configuration))!;

        Assert.That((settings.AccessKey, settings.SecretKey), Is.EqualTo(("from-env", "env-secret")));
    }

    [Test]
    public void The_settings_as_text_name_the_bucket_but_not_the_keys()
    {
        var text = StorageSettings.Read(Configuration(Bucket))!.ToString();

        Assert.Multiple(() =>
        {
            Assert.That(text, Is.EqualTo("s3 bucket forge-packages at http://minio.internal:9000/ (region us-east-1, key prefix 'packages/')"));
            Assert.That(text, Does.Not.Contain(Secret));
        });
    }

    private static Dictionary<string, string?> With(string key, string? value)
        => new(Bucket) { [$"Forge:Storage:S3:{key}"] = value };

    private static string Error(Dictionary<string, string?> settings)
        => Assert.Throws<ModuleSettingException>(() => StorageSettings.Read(Configuration(settings)))!.Message;

    private static IConfiguration Configuration(Dictionary<string, string?> settings)
        => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
