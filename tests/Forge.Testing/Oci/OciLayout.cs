using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Tooling.Oci;

namespace Forge.Testing.Oci;

/// <summary>
/// An OCI image layout directory (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/</c>) that tests fill
/// with multi-platform images of small random layers, for <c>skopeo</c> to read as <c>oci:&lt;dir&gt;:&lt;tag&gt;</c>.
/// Everything written is a function of the seed, so two layouts written with the same seed hold the same digests.
/// </summary>
public sealed class OciLayout
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    // Tar headers carry a time; a fixed one keeps the layers' digests a function of the seed alone.
    private static readonly DateTimeOffset LayerTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Opens the layout at <paramref name="path"/>, creating the directory, <c>oci-layout</c> and an empty <c>index.json</c> when missing.</summary>
    public OciLayout(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.Combine(Path, "blobs", "sha256"));
        var marker = System.IO.Path.Combine(Path, "oci-layout");
        if (!File.Exists(marker))
        {
            File.WriteAllText(marker, """{"imageLayoutVersion":"1.0.0"}""");
        }

        if (!File.Exists(IndexPath))
        {
            WriteLayoutIndex([]);
        }
    }

    public string Path { get; }

    private string IndexPath => System.IO.Path.Combine(Path, "index.json");

    /// <summary>The skopeo reference of <paramref name="tag"/> in this layout: <c>oci:&lt;dir&gt;:&lt;tag&gt;</c>.</summary>
    public string Reference(string tag) => $"oci:{Path}:{tag}";

    /// <summary>
    /// Writes an image index of the first <paramref name="platforms"/> of <see cref="OciPlatform.All"/> (1 to 3), each
    /// platform manifest with a config and 1 to 3 random gzip'ed tar layers, and tags it <paramref name="tag"/>.
    /// Writing a tag again with another seed moves the tag to the new index (a re-push with new content); the old
    /// blobs stay, as they do in a registry until a cleanup removes them.
    /// </summary>
    public OciImage WriteImage(string tag, int seed, int platforms = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(platforms, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(platforms, OciPlatform.All.Count);
        var random = new Random(seed);
        var images = OciPlatform.All.Take(platforms).Select(p => WritePlatformImage(p, random)).ToList();
        var manifests = new JsonArray();
        foreach (var image in images)
        {
            var entry = Descriptor(image.Manifest);
            entry["platform"] = image.Platform.ToJson();
            manifests.Add(entry);
        }

        var index = WriteBlob(ImageMediaTypes.OciIndex, Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageMediaTypes.OciIndex,
            ["manifests"] = manifests,
        }));
        var entries = ReadLayoutIndex().Where(e => RefName(e) != tag).ToList();
        var tagged = Descriptor(index);
        tagged["annotations"] = new JsonObject { [RefNameAnnotation] = tag };
        entries.Add(tagged);
        WriteLayoutIndex(entries);
        return new OciImage(tag, index, images);
    }

    /// <summary>Each tag of <c>index.json</c> with the descriptor it names.</summary>
    public IReadOnlyDictionary<string, OciDescriptor> Tags()
        => ReadLayoutIndex().Where(e => RefName(e) is not null).ToDictionary(
            e => RefName(e)!,
            e => new OciDescriptor((string)e["mediaType"]!, (string)e["digest"]!, (long)e["size"]!));

    /// <summary>The digest of every blob in <c>blobs/sha256/</c>, sorted.</summary>
    public IReadOnlyList<string> BlobDigests()
        => Directory.EnumerateFiles(System.IO.Path.Combine(Path, "blobs", "sha256"))
            .Select(f => "sha256:" + System.IO.Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

    public byte[] ReadBlob(string digest) => File.ReadAllBytes(BlobPath(digest));

    private OciPlatformImage WritePlatformImage(OciPlatform platform, Random random)
    {
        var layers = new List<OciDescriptor>();
        var diffIds = new JsonArray();
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var (tar, gzip) = RandomLayer(random, $"{platform.Name.Replace('/', '-')}/layer{i}");
            diffIds.Add(Digest(tar));
            layers.Add(WriteBlob(ImageMediaTypes.OciLayer, gzip));
        }

        var imageConfig = platform.ToJson();
        imageConfig["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/true") };
        imageConfig["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds };
        var config = WriteBlob(ImageMediaTypes.OciConfig, Json(imageConfig));
        var manifest = WriteBlob(ImageMediaTypes.OciManifest, Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageMediaTypes.OciManifest,
            ["config"] = Descriptor(config),
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)Descriptor(l)).ToArray()),
        }));
        return new OciPlatformImage(platform, manifest, config, layers);
    }

    /// <summary>A tar of 1 to 3 files of 256 to 4096 random bytes under <paramref name="folder"/>, and its gzip.</summary>
    private static (byte[] Tar, byte[] Gzip) RandomLayer(Random random, string folder)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var files = random.Next(1, 4);
            for (var i = 0; i < files; i++)
            {
                var content = new byte[random.Next(256, 4097)];
                random.NextBytes(content);
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"{folder}/file{i.ToString(CultureInfo.InvariantCulture)}.bin")
                {
                    DataStream = new MemoryStream(content),
                    ModificationTime = LayerTime,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
            }
        }

        using var gzip = new MemoryStream();
        using (var compressor = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true))
        {
            compressor.Write(tar.GetBuffer(), 0, (int)tar.Length);
        }

        return (tar.ToArray(), gzip.ToArray());
    }

    private OciDescriptor WriteBlob(string mediaType, byte[] content)
    {
        var digest = Digest(content);
        var path = BlobPath(digest);
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, content);
        }

        return new OciDescriptor(mediaType, digest, content.Length);
    }

    private string BlobPath(string digest)
        => System.IO.Path.Combine(Path, "blobs", "sha256", digest["sha256:".Length..]);

    private List<JsonObject> ReadLayoutIndex()
        => JsonNode.Parse(File.ReadAllText(IndexPath))!["manifests"]!.AsArray().Select(e => e!.AsObject()).ToList();

    private void WriteLayoutIndex(IEnumerable<JsonObject> entries)
        => File.WriteAllBytes(IndexPath, Json(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageMediaTypes.OciIndex,
            ["manifests"] = new JsonArray(entries.Select(e => (JsonNode)e.DeepClone()).ToArray()),
        }));

    private static string? RefName(JsonObject entry) => (string?)entry["annotations"]?[RefNameAnnotation];

    private static JsonObject Descriptor(OciDescriptor descriptor) => new()
    {
        ["mediaType"] = descriptor.MediaType,
        ["digest"] = descriptor.Digest,
        ["size"] = descriptor.Size,
    };

    private static byte[] Json(JsonObject value) => Encoding.UTF8.GetBytes(value.ToJsonString());

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
}
