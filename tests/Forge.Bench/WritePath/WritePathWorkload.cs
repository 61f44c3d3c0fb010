using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Forge.Tooling.Oci;
using static Forge.Tooling.Oci.ImageMediaTypes;

namespace Forge.Bench.WritePath;

/// <summary>A blob every repository gets once, before the manifests that name it.</summary>
public sealed record WritePathBlob(string Digest, byte[] Content);

/// <summary>One manifest PUT: its repository (<c>owner/image</c>), the tag or digest it is pushed by, its bytes and media type.</summary>
public sealed record WritePathManifest(int Group, string Repository, string Reference, byte[] Content, string MediaType);

/// <summary>
/// What the write-path benchmark pushes, the same for every contender: a few small blobs per repository (a config and
/// two layers for each of 3 platforms, the empty config and a signature payload), then manifests in groups of five as a
/// CI pipeline with cosign pushes a multi-platform build: 3 platform manifests by digest (each with the build's
/// annotations), the image index that lists them by tag <c>build-N</c>, and an OCI 1.1 signature whose subject is that
/// index, by digest. Group g goes to repository g modulo the repositories; a count that is not a multiple of five ends
/// with a partial group.
/// </summary>
public sealed class WritePathWorkload
{
    public const int GroupSize = 5;
    private const int LayerBytes = 2048;
    private const string SignatureArtifact = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const string SignatureLayer = "application/vnd.dev.cosign.simplesigning.v1+json";
    private static readonly OciPlatform[] Platforms = [.. OciPlatform.All.Take(3)];

    private WritePathWorkload(IReadOnlyList<string> repositories, IReadOnlyList<WritePathBlob> blobs, IReadOnlyList<WritePathManifest> manifests)
    {
        Repositories = repositories;
        Blobs = blobs;
        Manifests = manifests;
    }

    public IReadOnlyList<string> Repositories { get; }

    /// <summary>The blobs each repository gets before its first manifest.</summary>
    public IReadOnlyList<WritePathBlob> Blobs { get; }

    /// <summary>Every manifest, in the order one client pushes them.</summary>
    public IReadOnlyList<WritePathManifest> Manifests { get; }

    /// <summary>The manifests of one repository, in push order: what one of several clients pushes.</summary>
    public IEnumerable<WritePathManifest> ManifestsOf(string repository) => Manifests.Where(m => m.Repository == repository);

    /// <summary><paramref name="manifests"/> manifests in <paramref name="repositories"/> repositories <c>owner/image-1</c> and on, the same for the same seed.</summary>
    public static WritePathWorkload Create(string owner, string image, int manifests, int repositories, int seed)
    {
        var random = new Random(seed);
        byte[] Random(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        var platformBlobs = Platforms.Select(p => (Platform: p, Config: Blob(Config(p, seed)), Layers: new[] { Blob(Random(LayerBytes)), Blob(Random(LayerBytes)) })).ToList();
        var emptyConfig = Blob("{}"u8.ToArray());
        var signaturePayload = Blob(Random(LayerBytes / 4));
        var blobs = platformBlobs.SelectMany(p => p.Layers.Prepend(p.Config)).Append(emptyConfig).Append(signaturePayload).ToList();

        var names = Enumerable.Range(1, repositories).Select(r => $"{owner}/{image}-{r.ToString(CultureInfo.InvariantCulture)}").ToList();
        var list = new List<WritePathManifest>(manifests);
        var platformManifests = new List<(byte[] Content, OciPlatform Platform)>();
        byte[]? index = null;
        for (var i = 0; i < manifests; i++)
        {
            var group = i / GroupSize;
            var repository = names[group % repositories];
            var annotations = Annotations(group, seed);
            switch (i % GroupSize)
            {
                case var platform when platform < Platforms.Length:
                    if (platform == 0)
                    {
                        platformManifests.Clear();
                    }

                    var (platformOf, config, layers) = platformBlobs[platform];
                    var manifest = Json(new JsonObject
                    {
                        ["schemaVersion"] = 2,
                        ["mediaType"] = OciManifest,
                        ["config"] = Descriptor(OciConfig, config),
                        ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode)Descriptor(OciLayer, l))]),
                        ["annotations"] = annotations,
                    });
                    platformManifests.Add((manifest, platformOf));
                    list.Add(new WritePathManifest(group, repository, DigestOf(manifest), manifest, OciManifest));
                    break;
                case 3:
                    index = Json(new JsonObject
                    {
                        ["schemaVersion"] = 2,
                        ["mediaType"] = OciIndex,
                        ["manifests"] = new JsonArray([.. platformManifests.Select(m =>
                        {
                            var entry = Descriptor(OciManifest, Blob(m.Content));
                            entry["platform"] = m.Platform.ToJson();
                            return (JsonNode)entry;
                        })]),
                        ["annotations"] = annotations,
                    });
                    list.Add(new WritePathManifest(group, repository, $"build-{group.ToString(CultureInfo.InvariantCulture)}", index, OciIndex));
                    break;
                default:
                    var signature = Json(new JsonObject
                    {
                        ["schemaVersion"] = 2,
                        ["mediaType"] = OciManifest,
                        ["artifactType"] = SignatureArtifact,
                        ["config"] = Descriptor(OciEmpty, emptyConfig),
                        ["layers"] = new JsonArray(Descriptor(SignatureLayer, signaturePayload, new JsonObject
                        {
                            ["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(SHA256.HashData(index!)),
                        })),
                        ["subject"] = Descriptor(OciIndex, Blob(index!)),
                    });
                    list.Add(new WritePathManifest(group, repository, DigestOf(signature), signature, OciManifest));
                    break;
            }
        }

        return new WritePathWorkload(names, blobs, list);
    }

    /// <summary>A build's annotations, as buildx writes them: the revision, the time, the version.</summary>
    private static JsonObject Annotations(int group, int seed) => new()
    {
        ["org.opencontainers.image.revision"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}-{group}")))[..40],
        ["org.opencontainers.image.created"] = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(group).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["org.opencontainers.image.version"] = $"1.0.{group.ToString(CultureInfo.InvariantCulture)}",
    };

    /// <summary>A platform's config with labels and a short history, which become the version's metadata.</summary>
    private static byte[] Config(OciPlatform platform, int seed)
    {
        var config = platform.ToJson();
        config["config"] = new JsonObject
        {
            ["Labels"] = new JsonObject
            {
                ["org.opencontainers.image.source"] = "https://forge.example/bench/app",
                ["org.opencontainers.image.description"] = "The write-path benchmark's image",
                ["org.opencontainers.image.licenses"] = "MIT",
                ["bench.seed"] = seed.ToString(CultureInfo.InvariantCulture),
            },
        };
        config["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() };
        config["history"] = new JsonArray(
            new JsonObject { ["created_by"] = "ADD rootfs.tar.gz /" },
            new JsonObject { ["created_by"] = "COPY app /usr/local/bin/app" });
        return Json(config);
    }

    private static WritePathBlob Blob(byte[] content) => new(DigestOf(content), content);

    private static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private static JsonObject Descriptor(string mediaType, WritePathBlob blob, JsonObject? annotations = null)
    {
        var descriptor = new JsonObject { ["mediaType"] = mediaType, ["digest"] = blob.Digest, ["size"] = blob.Content.Length };
        if (annotations is not null)
        {
            descriptor["annotations"] = annotations;
        }

        return descriptor;
    }

    private static byte[] Json(JsonObject node) => Encoding.UTF8.GetBytes(node.ToJsonString());
}
