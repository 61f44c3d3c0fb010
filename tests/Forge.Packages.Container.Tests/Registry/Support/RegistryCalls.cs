using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Packages.Container.Tests.Registry.Support;

/// <summary>An image as a client builds it before pushing: config, layers and the manifest that names them.</summary>
public sealed record TestImage(byte[] Config, IReadOnlyList<byte[]> Layers, byte[] Manifest, string MediaType)
{
    public string Digest => RegistryCalls.Digest(Manifest);

    public string ConfigDigest => RegistryCalls.Digest(Config);

    public IEnumerable<byte[]> Blobs => Layers.Prepend(Config);

    /// <summary>What an index entry's size means in metadata_json: every blob of the version, its manifest included.</summary>
    public long TotalSize => Blobs.Sum(b => (long)b.Length) + Manifest.Length;
}

/// <summary>Calls of the registry API the way a client makes them, and what the tests read from the answers.</summary>
public static class RegistryCalls
{
    public static string Digest(byte[] content) => "sha256:" + Hex(content);

    public static string Hex(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Deterministic bytes, different for each seed.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>An image of one platform with two layers; <paramref name="mediaType"/> picks OCI or Docker v2.</summary>
    public static TestImage Image(int seed, string os = "linux", string architecture = "amd64", string mediaType = OciManifest)
    {
        var docker = mediaType == DockerManifest;
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["os"] = os,
            ["architecture"] = architecture,
            ["config"] = new JsonObject { ["Labels"] = new JsonObject { ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
        }.ToJsonString());
        byte[][] layers = [Bytes(300, seed * 2), Bytes(500, (seed * 2) + 1)];
        var layerType = docker ? DockerLayer : OciLayer;
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["config"] = DescriptorOf(docker ? DockerConfig : OciConfig, config),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)DescriptorOf(layerType, l))]),
        };
        return new TestImage(config, layers, Encoding.UTF8.GetBytes(manifest.ToJsonString()), mediaType);
    }

    /// <summary>The blob of OCI 1.1's empty descriptor, <c>{}</c>, which artifacts without a config of their own name as their config.</summary>
    public static byte[] EmptyBlob => "{}"u8.ToArray();

    /// <summary>
    /// An OCI 1.1 artifact as cosign (in its OCI 1.1 mode) and oras push one: an image manifest with an
    /// <c>artifactType</c> (when given), a config (the empty blob <c>{}</c> unless another is given), one layer of
    /// <paramref name="layerType"/> (none when null), annotations, and a <c>subject</c> naming another manifest.
    /// </summary>
    public static TestImage Artifact(
        (byte[] Manifest, string MediaType) subject, string? artifactType, string? layerType, int seed, JsonObject? annotations = null,
        (string MediaType, byte[] Content)? config = null)
    {
        var (configType, configContent) = config ?? (OciEmpty, EmptyBlob);
        byte[][] layers = layerType is null ? [] : [Bytes(200, seed)];
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifest,
            ["config"] = DescriptorOf(configType, configContent),
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)DescriptorOf(layerType!, l))]),
            ["subject"] = DescriptorOf(subject.MediaType, subject.Manifest),
        };
        if (artifactType is not null)
        {
            manifest["artifactType"] = artifactType;
        }

        if (annotations is not null)
        {
            manifest["annotations"] = annotations;
        }

        return new TestImage(configContent, layers, Encoding.UTF8.GetBytes(manifest.ToJsonString()), OciManifest);
    }

    /// <summary>An index of manifests (images or indexes), each with the platform given.</summary>
    public static byte[] Index(string mediaType, params (byte[] Manifest, string ManifestType, string? Platform)[] entries)
        => Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = mediaType,
            ["manifests"] = new JsonArray([.. entries.Select(e =>
            {
                var entry = DescriptorOf(e.ManifestType, e.Manifest);
                if (e.Platform is { } platform)
                {
                    entry["platform"] = new JsonObject { ["os"] = platform.Split('/')[0], ["architecture"] = platform.Split('/')[1] };
                }

                return (JsonNode)entry;
            })]),
        }.ToJsonString());

    public static byte[] Index(params TestImage[] images)
        => Index(OciIndex, [.. images.Select(i => (i.Manifest, i.MediaType, (string?)PlatformOf(i)))]);

    public static string PlatformOf(TestImage image)
    {
        var config = JsonNode.Parse(image.Config)!;
        return $"{config["os"]}/{config["architecture"]}";
    }

    /// <summary>A monolithic upload (POST ?digest= with the body); asserts it was created.</summary>
    public static async Task<string> UploadAsync(this HttpClient client, string repository, byte[] content)
    {
        var digest = Digest(content);
        using var response = await client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={digest}", Body(content));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return digest;
    }

    /// <summary>Uploads the image's config and layers, then puts its manifest at <paramref name="reference"/> (a tag, or null for its digest).</summary>
    public static async Task<HttpResponseMessage> PushAsync(this HttpClient client, string repository, TestImage image, string? reference)
    {
        foreach (var blob in image.Blobs)
        {
            await client.UploadAsync(repository, blob);
        }

        return await client.PutManifestAsync(repository, reference ?? image.Digest, image.Manifest, image.MediaType);
    }

    /// <summary>Pushes the image and asserts it was created.</summary>
    public static async Task PushOkAsync(this HttpClient client, string repository, TestImage image, string? reference)
    {
        using var response = await client.PushAsync(repository, image, reference);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    public static async Task<HttpResponseMessage> PutManifestAsync(this HttpClient client, string repository, string reference, byte[] manifest, string mediaType)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await client.PutAsync($"/v2/{repository}/manifests/{reference}", content);
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, byte[]? body = null, string? contentRange = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = Body(body);
            if (contentRange is not null)
            {
                // The distribution specification's form, "<start>-<end>": HttpClient's typed header would write "bytes a-b/*".
                request.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
            }
        }

        return await client.SendAsync(request);
    }

    public static ByteArrayContent Body(byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return body;
    }

    /// <summary>The <c>code</c> of the first error of a registry error body.</summary>
    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), body);
        var error = JsonNode.Parse(body)!["errors"]!.AsArray()[0]!;
        Assert.That((string?)error["message"], Is.Not.Empty, body);
        return (string?)error["code"];
    }

    /// <summary>The <c>message</c> of the first error of a registry error body.</summary>
    public static async Task<string?> ErrorMessageAsync(HttpResponseMessage response)
        => (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["message"];

    /// <summary>Asserts the status and the error code of a refused request.</summary>
    public static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.That(response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        Assert.That(await ErrorCodeAsync(response), Is.EqualTo(code));
    }

    public static string Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : "";

    /// <summary>An OCI descriptor of the content: its media type, digest and size.</summary>
    public static JsonObject DescriptorOf(string mediaType, byte[] content)
        => new() { ["mediaType"] = mediaType, ["digest"] = Digest(content), ["size"] = content.Length };
}
