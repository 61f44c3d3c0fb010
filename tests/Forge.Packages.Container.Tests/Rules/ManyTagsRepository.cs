using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Tests.Integration;
using Forge.Packages.Schema;
using Forge.Testing;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Rules;

/// <summary>
/// One container repository with thousands of tags, in which an untag has manifests to keep. Tag <c>v{i}</c> is
/// created i minutes after a month ago, so "newest first" is the reverse of i. Every 40th tag's manifest is named by
/// an index pushed by digest; every 40th tag counted from 20 has a second tag of the same manifest (<c>v{i}-again</c>,
/// a second younger), and every other of those manifests is named by an index too; the three newest tags,
/// <c>stable-1</c> to <c>stable-3</c>, carry the manifests of old tags (one of them also named by an index).
/// <para>
/// Those, the indexes and <c>v1</c> are pushed through the registry's write path. The other tags, each an image of
/// its own, are copies of <c>v1</c>'s rows made in one statement, each with a manifest blob and digest of its own:
/// pushing two thousand images one at a time costs half a minute of CPU, and a plain tag's rows are all a rule reads.
/// </para>
/// </summary>
public sealed class ManyTagsRepository
{
    private const int IndexSize = 5;
    private const long Minute = 60;

    // $1 the tag to copy; $2 and $3 the copies' names and dates. Each copy gets a manifest blob row (no content: a rule
    // never reads it) whose hashes are made from its name, and the tag's files, file properties and version
    // properties, its manifest file pointing at its own blob and digest.
    private static readonly string CopyTag = $"""
        WITH copies AS (
            SELECT c.name, c.created, encode(sha256(convert_to(c.name, 'UTF8')), 'hex') AS hex
            FROM unnest($2::text[], $3::bigint[]) AS c(name, created)),
        blobs AS (
            INSERT INTO package_blob (size, hash_md5, hash_sha1, hash_sha256, hash_sha512, created_unix)
            SELECT b.size, md5(c.hex), left(c.hex, 40), c.hex, c.hex || c.hex, c.created
            FROM copies c CROSS JOIN package_file f JOIN package_blob b ON b.id = f.blob_id
            WHERE f.version_id = $1 AND f.is_lead
            RETURNING id, hash_sha256),
        versions AS (
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            SELECT t.package_id, c.name, lower(c.name), c.created, t.metadata_json FROM copies c CROSS JOIN package_version t WHERE t.id = $1
            RETURNING id, version),
        files AS (
            INSERT INTO package_file (version_id, blob_id, name, lower_name, composite_key, is_lead, created_unix)
            SELECT v.id, CASE WHEN f.is_lead THEN b.id ELSE f.blob_id END, f.name, f.lower_name, f.composite_key, f.is_lead, c.created
            FROM copies c JOIN versions v ON v.version = c.name JOIN blobs b ON b.hash_sha256 = c.hex
            CROSS JOIN package_file f WHERE f.version_id = $1
            RETURNING id, version_id, lower_name),
        file_properties AS (
            INSERT INTO package_property (ref_type, ref_id, name, value)
            SELECT {PropertyRefType.File:D}, n.id, p.name,
                CASE WHEN f.is_lead AND p.name = '{ContainerLayout.DigestProperty}' THEN '{ContainerLayout.DigestPrefix}' || c.hex ELSE p.value END
            FROM files n JOIN versions v ON v.id = n.version_id JOIN copies c ON c.name = v.version
            JOIN package_file f ON f.version_id = $1 AND f.lower_name = n.lower_name
            JOIN package_property p ON p.ref_type = {PropertyRefType.File:D} AND p.ref_id = f.id
            RETURNING 1)
        INSERT INTO package_property (ref_type, ref_id, name, value)
        SELECT {PropertyRefType.Version:D}, v.id, p.name, p.value
        FROM versions v JOIN package_property p ON p.ref_type = {PropertyRefType.Version:D} AND p.ref_id = $1
        """;

    private static readonly int[] StableCopiesOf = [120, 250, 1210];

    private readonly CleanupHarness world;
    private readonly long ownerId;
    private readonly string repository;
    private readonly long start;
    private readonly ImageBlob layer = new(RandomNumberGenerator.GetBytes(512), ImageMediaTypes.OciLayer);

    private ManyTagsRepository(CleanupHarness world, long ownerId, string repository)
    {
        this.world = world;
        this.ownerId = ownerId;
        this.repository = repository;
        start = world.Now - (30 * ForgeTestWorld.Day);
    }

    public long PackageId { get; private set; }

    /// <summary>Pushes <paramref name="tags"/> tags <c>v1</c>… and the rest described above into <paramref name="repository"/>.</summary>
    public static async Task<ManyTagsRepository> PushAsync(CleanupHarness world, long ownerId, string repository, int tags)
    {
        var pushed = new ManyTagsRepository(world, ownerId, repository);
        await pushed.PushAllAsync(tags);
        return pushed;
    }

    private async Task PushAllAsync(int tags)
    {
        var template = await PushTagAsync("v1", 1, TagTime(1));
        PackageId = await world.PackageIdOfAsync(template.VersionId);

        // Four at a time, as clients push: each push is a transaction that mostly waits on the database.
        var named = new ConcurrentBag<(int Image, PushedManifest Manifest)>();
        await Parallel.ForEachAsync(Enumerable.Range(1, tags).Where(i => i % 20 == 0), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var tag = await PushTagAsync($"v{i}", i, TagTime(i));
            if (i % 40 == 20)
            {
                await PushTagAsync($"v{i}-again", i, TagTime(i) + 1);
            }

            if (i % 40 == 0 || i % 80 == 20)
            {
                named.Add((i, tag));
            }
        });

        for (var k = 0; k < StableCopiesOf.Length; k++)
        {
            await PushTagAsync($"stable-{k + 1}", StableCopiesOf[k], TagTime(tags + 1) + k);
        }

        foreach (var entries in named.OrderBy(n => n.Image).Select(n => n.Manifest).Chunk(IndexSize))
        {
            await world.Images.PushIndexAsync(ownerId, repository, null, entries.Select(e => new IndexEntry(e.Digest, "linux/amd64")).ToList(), start);
        }

        var plain = Enumerable.Range(2, tags - 1).Where(i => i % 20 != 0).ToList();
        await world.ExecuteAsync(CopyTag, template.VersionId, plain.Select(i => $"v{i}").ToArray(), plain.Select(TagTime).ToArray());
    }

    private long TagTime(int i) => start + (i * Minute);

    /// <summary>A tag of the manifest of image <paramref name="image"/>: the same image number gives the same manifest.</summary>
    private async Task<PushedManifest> PushTagAsync(string tag, int image, long created)
        => await world.Images.PushImageAsync(ownerId, repository, tag, "linux/amd64",
            new ImageBlob(Encoding.UTF8.GetBytes($"{{\"image\":{image}}}"), ImageMediaTypes.OciConfig), [layer], created);
}
