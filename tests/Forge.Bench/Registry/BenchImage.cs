using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Bench.Registry;

/// <summary>What <see cref="BenchImage.Write"/> wrote: the tag, the index's digest, and the number and bytes of the blobs.</summary>
public sealed record BenchImageSummary(string Tag, string IndexDigest, int Platforms, int Layers, long LayerBytes, int Blobs);

/// <summary>
/// The image <c>build/bench-registry</c> pushes and pulls: an OCI image layout holding one multi-platform
/// index of <c>platforms</c> images, each a config and <see cref="LayersPerPlatform"/> layers of incompressible
/// random bytes (one file in a tar, gzip'ed without compression, as already-compressed content behaves on the
/// wire), about <c>sizeMegabytes</c> MiB of layers in all. Every byte is a function of the seed.
/// </summary>
public static class BenchImage
{
    public const string Tag = "bench";
    public const int LayersPerPlatform = 4;

    private static readonly (string Os, string Architecture, string? Variant)[] KnownPlatforms =
    [
        ("linux", "amd64", null), ("linux", "arm64", null), ("linux", "arm", "v7"), ("linux", "ppc64le", null),
        ("linux", "s390x", null), ("linux", "386", null), ("linux", "riscv64", null), ("linux", "arm", "v6"),
    ];

    // Media types keep their '+' as registries and tools write them, rather than the default encoder's \u002B.
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static int MaxPlatforms => KnownPlatforms.Length;

    /// <summary>Writes the layout into <paramref name="directory"/> (created; it must not hold a layout already).</summary>
    public static BenchImageSummary Write(string directory, int platforms, int sizeMegabytes, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(platforms, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(platforms, MaxPlatforms);
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeMegabytes, 1);
        var blobs = Path.Combine(directory, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");

        // Layers of one platform weigh 1:2:3:4, so that the image has small and large layers alike.
        var perPlatform = sizeMegabytes * 1024L * 1024 / platforms;
        var weights = Enumerable.Range(1, LayersPerPlatform).ToArray();
        var entries = new JsonArray();
        long layerBytes = 0;
        var blobCount = 0;
        for (var p = 0; p < platforms; p++)
        {
            var (os, architecture, variant) = KnownPlatforms[p];
            var layers = new JsonArray();
            var diffIds = new JsonArray();
            for (var l = 0; l < LayersPerPlatform; l++)
            {
                var payload = perPlatform * weights[l] / weights.Sum();
                var stream = ((ulong)(uint)seed << 32) | (uint)((p * LayersPerPlatform) + l);
                var (digest, diffId, size) = WriteLayer(blobs, $"{os}-{architecture}{variant}/layer{l}.bin", payload, stream);
                layers.Add(Descriptor(OciLayer, digest, size));
                diffIds.Add(diffId);
                layerBytes += size;
                blobCount++;
            }

            var platform = new JsonObject { ["architecture"] = architecture, ["os"] = os };
            if (variant is not null)
            {
                platform["variant"] = variant;
            }

            var config = platform.DeepClone().AsObject();
            config["created"] = "2026-01-01T00:00:00Z";
            config["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/true"), ["Labels"] = new JsonObject { ["bench.seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            config["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds };
            var manifest = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = OciManifest,
                ["config"] = WriteJsonBlob(blobs, OciConfig, config),
                ["layers"] = layers,
            };
            var entry = WriteJsonBlob(blobs, OciManifest, manifest);
            entry["platform"] = platform;
            entries.Add(entry);
            blobCount += 2;
        }

        var index = WriteJsonBlob(blobs, OciIndex, new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciIndex, ["manifests"] = entries });
        var indexDigest = (string)index["digest"]!;
        index["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = Tag };
        File.WriteAllText(Path.Combine(directory, "index.json"), new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndex,
            ["manifests"] = new JsonArray(index),
        }.ToJsonString(Compact));
        return new BenchImageSummary(Tag, indexDigest, platforms, platforms * LayersPerPlatform, layerBytes, blobCount + 1);
    }

    /// <summary>
    /// Streams one layer to a blob file: a ustar archive of one file of <paramref name="payload"/> random bytes,
    /// gzip'ed at level 0; returns its digest, its diff_id (the tar's digest) and its size.
    /// </summary>
    private static (string Digest, string DiffId, long Size) WriteLayer(string blobs, string name, long payload, ulong stream)
    {
        var temporary = Path.Combine(blobs, $".layer-{stream:x16}");
        string digest;
        string diffId;
        long size;
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

                    Tar(TarHeader(name, payload));
                    var buffer = new byte[1 << 20];
                    var random = new CounterRandom(stream);
                    for (var left = payload; left > 0; left -= buffer.Length)
                    {
                        var chunk = (int)Math.Min(buffer.Length, left);
                        random.Fill(buffer.AsSpan(0, chunk));
                        Tar(buffer.AsSpan(0, chunk));
                    }

                    // Padding to a 512-byte record, then the two empty records that end an archive.
                    Tar(new byte[(int)((512 - (payload % 512)) % 512) + 1024]);
                }

                digest = file.Digest();
                size = file.Length;
            }

            diffId = "sha256:" + Convert.ToHexStringLower(tarHash.GetHashAndReset());
        }

        var path = Path.Combine(blobs, digest["sha256:".Length..]);
        File.Move(temporary, path, overwrite: true);
        return (digest, diffId, size);
    }

    /// <summary>A ustar header of a regular file, mode 0644, owned by 0:0, dated 2026-01-01.</summary>
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
        Field(136, Octal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), 12));
        header[156] = (byte)'0';
        Field(257, "ustar\0");
        Field(263, "00");
        // The checksum is computed with its own field as eight spaces, then written as six octal digits, NUL, space.
        Field(148, "        ");
        var sum = header.Sum(b => (long)b);
        Field(148, Octal(sum, 7) + "\0 ");
        return header;
    }

    private static JsonObject WriteJsonBlob(string blobs, string mediaType, JsonObject content)
    {
        var bytes = Encoding.UTF8.GetBytes(content.ToJsonString(Compact));
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        File.WriteAllBytes(Path.Combine(blobs, digest["sha256:".Length..]), bytes);
        return Descriptor(mediaType, digest, bytes.Length);
    }

    private static JsonObject Descriptor(string mediaType, string digest, long size)
        => new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    /// <summary>
    /// Incompressible bytes as a function of (stream, position): SplitMix64 over a counter, fast enough that
    /// generating a gigabyte costs less than writing it.
    /// </summary>
    private sealed class CounterRandom(ulong stream)
    {
        // Each stream starts at a scrambled point of the 2^64 cycle, so that no two layers share a run of bytes.
        private ulong counter = Mix(stream);

        public void Fill(Span<byte> destination)
        {
            Span<byte> word = stackalloc byte[8];
            for (var i = 0; i < destination.Length; i += 8)
            {
                var z = Mix(counter += 0x9E3779B97F4A7C15UL);
                if (i + 8 <= destination.Length)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], z);
                }
                else
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(word, z);
                    word[..(destination.Length - i)].CopyTo(destination[i..]);
                }
            }
        }

        private static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
