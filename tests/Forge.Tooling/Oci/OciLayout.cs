using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Forge.Tooling.Oci;

/// <summary>
/// An OCI image layout directory (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/</c>) that the registry tests and the
/// benchmark fill with multi-platform images of random layers (<see cref="RandomImage"/>), for <c>skopeo</c> to read as
/// <c>oci:&lt;dir&gt;:&lt;tag&gt;</c>. Layers are streamed to disk, so an image of gigabytes costs no memory; each is a ustar
/// archive gzip'ed without compression, as already-compressed content behaves on the wire.
/// </summary>
public sealed class OciLayout
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    // Tar headers and configs carry a time; a fixed one keeps every digest a function of the image alone.
    private const string Created = "2026-01-01T00:00:00Z";
    private static readonly DateTimeOffset Written = DateTimeOffset.Parse(Created, System.Globalization.CultureInfo.InvariantCulture);

    // Media types keep their '+' as registries and tools write them, rather than the default encoder's \u002B.
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Opens the layout at <paramref name="path"/>, creating the directory, <c>oci-layout</c> and an empty <c>index.json</c> when missing.</summary>
    public OciLayout(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(BlobsPath);
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

    private string BlobsPath => System.IO.Path.Combine(Path, "blobs", "sha256");

    /// <summary>The skopeo reference of <paramref name="tag"/> in this layout: <c>oci:&lt;dir&gt;:&lt;tag&gt;</c>.</summary>
    public string Reference(string tag) => $"oci:{Path}:{tag}";

    /// <summary>Writes <see cref="RandomImage.Small"/> of <paramref name="seed"/> and <paramref name="platforms"/> (1 to 3 for the tests) as <paramref name="tag"/>.</summary>
    public OciImage WriteImage(string tag, int seed, int platforms = 3) => WriteImage(tag, RandomImage.Small(seed, platforms));

    /// <summary>
    /// Writes an image index of <paramref name="image"/>'s platforms, each a manifest with a config and its layers, and tags it
    /// <paramref name="tag"/>. Writing a tag again moves it to the new index (a re-push with new content); the old blobs stay,
    /// as they do in a registry until a cleanup removes them.
    /// </summary>
    public OciImage WriteImage(string tag, RandomImage image)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(image.FileSizes.Count, OciPlatform.All.Count);
        var buffer = new byte[1 << 20];
        var files = 0;
        var images = new List<OciPlatformImage>();
        for (var p = 0; p < image.FileSizes.Count; p++)
        {
            var platform = OciPlatform.All[p];
            var layers = new List<OciDescriptor>();
            var diffIds = new JsonArray();
            var folder = $"{platform.Os}-{platform.Architecture}{platform.Variant}";
            for (var l = 0; l < image.FileSizes[p].Count; l++)
            {
                var sizes = image.FileSizes[p][l];
                var names = sizes.Count == 1 ? [$"{folder}/layer{l}.bin"] : sizes.Select((_, f) => $"{folder}/layer{l}/file{f}.bin").ToList();
                var (layer, diffId) = WriteLayer([.. names.Zip(sizes)], image.Seed, files, buffer);
                files += sizes.Count;
                layers.Add(layer);
                diffIds.Add(diffId);
            }

            images.Add(WritePlatformImage(platform, layers, diffIds, image.Labels));
        }

        var manifests = new JsonArray();
        foreach (var platformImage in images)
        {
            var entry = Descriptor(platformImage.Manifest);
            entry["platform"] = platformImage.Platform.ToJson();
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
        => Directory.EnumerateFiles(BlobsPath).Select(f => "sha256:" + System.IO.Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

    public byte[] ReadBlob(string digest) => File.ReadAllBytes(BlobPath(digest));

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private OciPlatformImage WritePlatformImage(OciPlatform platform, List<OciDescriptor> layers, JsonArray diffIds, IReadOnlyDictionary<string, string> labels)
    {
        var imageConfig = platform.ToJson();
        imageConfig["created"] = Created;
        var run = new JsonObject { ["Cmd"] = new JsonArray("/bin/true") };
        if (labels.Count > 0)
        {
            run["Labels"] = new JsonObject(labels.Select(label => KeyValuePair.Create(label.Key, (JsonNode?)label.Value)));
        }

        imageConfig["config"] = run;
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

    /// <summary>
    /// Streams one layer to its blob: a ustar archive of <paramref name="files"/>, each of random bytes from its own stream
    /// (the seed, and the file's number in the image from <paramref name="firstFile"/> on), gzip'ed at level 0. Returns the
    /// layer and its diff_id (the tar's digest).
    /// </summary>
    private (OciDescriptor Layer, string DiffId) WriteLayer(IReadOnlyList<(string Name, long Size)> files, int seed, int firstFile, byte[] buffer)
    {
        var temporary = System.IO.Path.Combine(BlobsPath, $".layer-{Guid.NewGuid():N}");
        string digest;
        long size;
        string diffId;
        using (var tarHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            using (var file = new DigestingStream(new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20)))
            {
                using (var gzip = new GZipStream(file, CompressionLevel.NoCompression, leaveOpen: true))
                {
                    void Tar(ReadOnlySpan<byte> bytes)
                    {
                        tarHash.AppendData(bytes);
                        gzip.Write(bytes);
                    }

                    for (var f = 0; f < files.Count; f++)
                    {
                        var (name, length) = files[f];
                        Tar(TarHeader(name, length));
                        var random = new CounterRandom(((ulong)(uint)seed << 32) | (uint)(firstFile + f));
                        for (var left = length; left > 0; left -= buffer.Length)
                        {
                            var chunk = (int)Math.Min(buffer.Length, left);
                            random.Fill(buffer.AsSpan(0, chunk));
                            Tar(buffer.AsSpan(0, chunk));
                        }

                        // Padding to a 512-byte record; after the last file, with the two empty records that end an archive.
                        var padding = (int)((512 - (length % 512)) % 512);
                        Tar(new byte[f == files.Count - 1 ? padding + 1024 : padding]);
                    }
                }

                digest = file.Digest();
                size = file.Length;
            }

            diffId = "sha256:" + Convert.ToHexStringLower(tarHash.GetHashAndReset());
        }

        File.Move(temporary, BlobPath(digest), overwrite: true);
        return (new OciDescriptor(ImageMediaTypes.OciLayer, digest, size), diffId);
    }

    /// <summary>A ustar header of a regular file, mode 0644, owned by 0:0, dated <see cref="Written"/>.</summary>
    private static byte[] TarHeader(string name, long size)
    {
        var header = new byte[512];
        void Field(int offset, string text) => Encoding.ASCII.GetBytes(text, header.AsSpan(offset));
        static string Octal(long value, int width) => Convert.ToString(value, 8).PadLeft(width - 1, '0');
        Field(0, name);
        Field(100, Octal(0b110_100_100, 8));
        Field(108, Octal(0, 8));
        Field(116, Octal(0, 8));
        Field(124, Octal(size, 12));
        Field(136, Octal(Written.ToUnixTimeSeconds(), 12));
        header[156] = (byte)'0';
        Field(257, "ustar\0");
        Field(263, "00");
        // The checksum is computed with its own field as eight spaces, then written as six octal digits, NUL, space.
        Field(148, "        ");
        var sum = header.Sum(b => (long)b);
        Field(148, Octal(sum, 7) + "\0 ");
        return header;
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

    private string BlobPath(string digest) => System.IO.Path.Combine(BlobsPath, digest["sha256:".Length..]);

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

    private static byte[] Json(JsonObject value) => Encoding.UTF8.GetBytes(value.ToJsonString(Compact));
}
