using System.Security.Cryptography;
using System.Text;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.Registry;
using Forge.Testing;
using Forge.Tooling.Oci;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>A test world with the container write path and cleanup at hand.</summary>
public sealed class CleanupHarness : ForgeTestWorld
{
    private CleanupHarness(ForgeTestWorld world)
        : base(world)
    {
    }

    public SyntheticImages Images => App.Services.GetRequiredService<SyntheticImages>();

    public static new async Task<CleanupHarness> CreateAsync(
        Action<IServiceCollection>? configureServices = null, bool useScheduler = false, params (string Key, string? Value)[] settings)
        => new(await ForgeTestWorld.CreateAsync(configureServices, useScheduler, settings));

    /// <summary>A world whose cleanup runs over a <see cref="HookedStore"/>, and that store.</summary>
    public static async Task<(CleanupHarness World, HookedStore Store)> CreateHookedAsync()
    {
        HookedStore? store = null;
        var world = await CreateAsync(services => services.AddSingleton<IDanglingImageStore>(sp =>
            store = new HookedStore(new NpgsqlDanglingImageStore(sp.GetRequiredService<NpgsqlDataSource>()))));
        _ = world.App.Services.GetRequiredService<IDanglingImageStore>();
        return (world, store!);
    }

    public Task<DanglingImageCleanupReport> CleanupAsync(
        TimeSpan? olderThan = null, int batchSize = 500, bool dryRun = false, bool removeOrphanedReferrerTags = false,
        int workers = DanglingImageCleanupOptions.DefaultWorkers)
        => App.Services.GetRequiredService<DanglingImageCleanup>().RunAsync(
            new DanglingImageCleanupOptions(olderThan ?? TimeSpan.FromHours(24), batchSize, dryRun, RemoveOrphanedReferrerTags: removeOrphanedReferrerTags)
            {
                Workers = workers,
            },
            CancellationToken.None);

    /// <summary>A digest that no real content has: <c>sha256:</c> and the SHA-256 of <paramref name="seed"/>.</summary>
    public static string Digest(string seed) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>Pushes a platform manifest by digest (as a mirror does first) with a config and one layer.</summary>
    public Task<PushedManifest> PushPlatformAsync(string repository, long created, string platform = "linux/amd64", string? tag = null)
        => Images.PushImageAsync(1, repository, tag, platform,
            new ImageBlob(Encoding.UTF8.GetBytes($"{{\"config\":\"{Guid.NewGuid():N}\"}}"), ImageMediaTypes.OciConfig),
            [new ImageBlob(RandomNumberGenerator.GetBytes(512), ImageMediaTypes.OciLayer)],
            created);

    /// <summary>Pushes an index of <paramref name="children"/> by tag, or by digest when <paramref name="tag"/> is null.</summary>
    public Task<PushedManifest> PushIndexAsync(string repository, string? tag, long created, params PushedManifest[] children)
        => Images.PushIndexAsync(1, repository, tag, children.Select(c => new IndexEntry(c.Digest, "linux/amd64")).ToList(), created);

    private const string OrphanedRows = """
        SELECT 'file ' || f.id || ' without version' FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_version v WHERE v.id = f.version_id)
        UNION ALL SELECT 'file ' || f.id || ' without blob' FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_blob b WHERE b.id = f.blob_id)
        UNION ALL SELECT 'version property ' || p.id FROM package_property p WHERE p.ref_type = 0 AND NOT EXISTS (SELECT 1 FROM package_version v WHERE v.id = p.ref_id)
        UNION ALL SELECT 'file property ' || p.id FROM package_property p WHERE p.ref_type = 1 AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.id = p.ref_id)
        """;

    /// <summary>Pushes by digest a signature of the manifest <paramref name="subjectDigest"/>, as cosign's OCI 1.1 mode does.</summary>
    public Task<PushedManifest> PushReferrerAsync(string repository, long created, string subjectDigest)
        => Images.PushReferrerAsync(1, repository, subjectDigest, "application/vnd.dev.cosign.artifact.sig.v1+json",
            new ImageBlob(RandomNumberGenerator.GetBytes(256), "application/vnd.dev.cosign.simplesigning.v1+json"), created);

    /// <summary>The cosign referrer tag of <paramref name="digest"/> with this suffix: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string ReferrerTag(string digest, string suffix = "sig") => $"sha256-{digest["sha256:".Length..]}.{suffix}";

    public async Task<long> PackageIdOfAsync(long versionId) => await ScalarAsync<long>("SELECT package_id FROM package_version WHERE id = $1", versionId);

    /// <summary>
    /// Invariants 2 and 3 of the reliability suite: no index names a version missing from its package, and
    /// no file or property whose owner is gone. Returns what is wrong, one line each.
    /// </summary>
    public async Task<List<string>> BrokenReferencesAsync()
    {
        var problems = new List<string>();
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand("SELECT id, package_id, metadata_json FROM package_version", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var versions = new List<(long Id, long PackageId, string? Metadata)>();
            while (await reader.ReadAsync())
            {
                versions.Add((reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }

            await reader.CloseAsync();
            foreach (var (id, packageId, metadata) in versions)
            {
                foreach (var digest in ManifestReferences.Parse(metadata).Digests)
                {
                    await using var exists = new NpgsqlCommand("SELECT count(*) FROM package_version WHERE package_id = $1 AND lower(lower_version) = $2", connection);
                    exists.Parameters.AddWithValue(packageId);
                    exists.Parameters.AddWithValue(digest);
                    if ((long)(await exists.ExecuteScalarAsync())! == 0)
                    {
                        problems.Add($"version {id} references missing {digest}");
                    }
                }
            }
        }

        problems.AddRange(await Database.ColumnAsync($"""
            {OrphanedRows}
            UNION ALL SELECT 'version property ' || p.id || ' references missing ' || p.value FROM package_property p
                JOIN package_version v ON v.id = p.ref_id
                WHERE p.ref_type = 0 AND p.name = 'container.manifest.reference'
                AND NOT EXISTS (SELECT 1 FROM package_version t WHERE t.package_id = v.package_id AND lower(t.lower_version) = lower(btrim(p.value, E' \t\n\r\u00a0\u2003')))
            """));
        return problems;
    }

    /// <summary>
    /// Invariant 3 alone: no file whose version or blob is gone, no property whose version or file is gone. Returns
    /// what is wrong, one line each.
    /// </summary>
    public Task<List<string>> OrphanedRowsAsync() => Database.ColumnAsync(OrphanedRows);
}
