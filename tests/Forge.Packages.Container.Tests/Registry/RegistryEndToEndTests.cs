using System.Text;
using System.Text.Json.Nodes;
using Forge.Modularity;
using Forge.Packages.ExpiredData;
using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// Forge as a registry that skopeo pushes to and pulls from over real HTTP on loopback, with multi-platform
/// images the tests write as OCI layouts, and the two cleanups judging what skopeo left.
/// </summary>
[Category("Registry")]
public sealed class RegistryEndToEndTests
{
    private const string Password = "correct horse battery staple";
    private static readonly SkopeoAccess Alice = RegistryWorld.As("alice", Password);
    private readonly Skopeo skopeo = new();
    private string scratch = "";

    [SetUp]
    public void CreateScratch()
    {
        scratch = Path.Combine(Path.GetTempPath(), $"forge-registry-e2e-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
    }

    [TearDown]
    public void DeleteScratch() => Directory.Delete(scratch, recursive: true);

    [Test]
    public async Task Copy_all_in_and_back_out_keeps_every_digest()
    {
        await using var registry = await StartWithAliceAsync();
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var image = source.WriteImage("v1", seed: 11);

        await CopyAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: Alice);

        var byTag = await InspectAsync(registry.Image("alice/app", "v1"));
        Assert.That(OciLayout.Digest(byTag), Is.EqualTo(image.Index.Digest), "by tag: the index, byte for byte");
        var byDigest = await InspectAsync(registry.Image("alice/app", image.Index.Digest));
        Assert.That(byDigest, Is.EqualTo(byTag), "by digest: the same index");
        foreach (var platform in image.Platforms)
        {
            var manifest = await InspectAsync(registry.Image("alice/app", platform.Manifest.Digest));
            Assert.That(OciLayout.Digest(manifest), Is.EqualTo(platform.Manifest.Digest), platform.Platform.Name);
        }

        var copy = new OciLayout(Path.Combine(scratch, "copy"));
        await CopyAsync(registry.Image("alice/app", "v1"), copy.Reference("v1"), from: Alice);

        Assert.That(copy.Tags()["v1"].Digest, Is.EqualTo(image.Index.Digest));
        Assert.That(copy.BlobDigests(), Is.EqualTo(source.BlobDigests()), "every manifest, config and layer came back");
        Assert.That(copy.BlobDigests(), Is.EquivalentTo(image.Digests.Distinct()));
        foreach (var digest in copy.BlobDigests())
        {
            Assert.That(OciLayout.Digest(copy.ReadBlob(digest)), Is.EqualTo(digest));
        }

        // docs/schema.md's layout: the tag, one digest version per platform, the uploads, and nothing half-written.
        var versions = await registry.World.CountAsync("SELECT count(*) FROM package_version WHERE lower_version LIKE 'sha256:%'");
        Assert.That(versions, Is.EqualTo(image.Platforms.Count));
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_version WHERE version = 'v1'"), Is.EqualTo(1));
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_blob_upload"), Is.Zero);
        await AssertFsckCleanAsync(registry);
    }

    [Test]
    public async Task A_re_push_leaves_old_platforms_for_the_cleanups_which_free_exactly_their_bytes()
    {
        await using var registry = await StartWithAliceAsync();
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var old = source.WriteImage("v1", seed: 21);
        await CopyAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: Alice);
        var fresh = source.WriteImage("v1", seed: 22);
        await CopyAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: Alice);
        var oldOnly = old.Digests.Except(fresh.Digests).ToList();
        Assert.That(oldOnly, Is.Not.Empty);
        Assert.That(oldOnly.Select(registry.ContentPath), Has.All.Matches<string>(File.Exists));

        // Every row is younger than a second: the cleanups' cutoff is strictly before now.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var dangling = await registry.RunForgeAsync("packages", "container", "cleanup-sha256", "--older-than", "0s", "--json");
        Assert.That(dangling.ExitCode, Is.EqualTo(ExitCodes.Success), dangling.Error);
        var left = await DigestVersionsAsync(registry);
        Assert.That(left, Is.EquivalentTo(fresh.Platforms.Select(p => p.Manifest.Digest)), "exactly the old platforms went");
        Assert.That(JsonNode.Parse(dangling.Output)!["deletedVersions"]!.GetValue<long>(), Is.EqualTo(old.Platforms.Count));

        var expired = await registry.RunForgeAsync("packages", "cleanup", "--older-than", "0s", "--json");
        Assert.That(expired.ExitCode, Is.EqualTo(ExitCodes.Success), expired.Error);
        Assert.That(oldOnly.Select(registry.ContentPath), Has.None.Matches<string>(File.Exists), "the old image's bytes are off the disk");
        var oldBytes = oldOnly.Sum(d => source.ReadBlob(d).LongLength);
        Assert.That(JsonNode.Parse(expired.Output)!["bytesFreed"]!.GetValue<long>(), Is.EqualTo(oldBytes));

        var pulled = new OciLayout(Path.Combine(scratch, "pulled"));
        await CopyAsync(registry.Image("alice/app", "v1"), pulled.Reference("v1"), from: Alice);
        Assert.That(pulled.BlobDigests(), Is.EquivalentTo(fresh.Digests.Distinct()), "the new tag pulls whole");
        await AssertFsckCleanAsync(registry);

        var deleted = await skopeo.DeleteAsync(registry.Image("alice/app", "v1"), Alice);
        Assert.That(deleted.Succeeded, Is.True, deleted.ToString());
        var gone = await skopeo.InspectRawAsync(registry.Image("alice/app", "v1"), Alice);
        Assert.That(gone.Succeeded, Is.False, "the tag is gone");
        Assert.That(gone.Errors, Does.Contain("manifest unknown").IgnoreCase);
    }

    [Test]
    public async Task Sync_while_both_cleanups_run_back_to_back_leaves_every_image_whole()
    {
        await using var registry = await StartWithAliceAsync();
        var images = new List<(string Repository, OciLayout Layout, OciImage Image)>();
        for (var i = 0; i < 3; i++)
        {
            var layout = new OciLayout(Path.Combine(scratch, $"source{i}"));
            var image = layout.WriteImage("v1", seed: 100 + i, platforms: 2 + (i % 2));
            await CopyAsync(layout.Reference("v1"), registry.Image($"alice/src{i}", "v1"), to: Alice);
            images.Add(($"src{i}", layout, image));
        }

        // The window is longer than one sync takes: every mirrored manifest is younger than it until its index lands.
        var window = TimeSpan.FromSeconds(60);
        using var stop = new CancellationTokenSource();
        var dangling = registry.World.Service<DanglingImageCleanup>();
        var expired = registry.World.Service<ExpiredDataCleanup>();
        var runs = 0;
        var cleanups = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await dangling.RunAsync(new DanglingImageCleanupOptions(window, 100, DryRun: false), CancellationToken.None);
                await expired.RunAsync(new ExpiredDataCleanupOptions(window, DryRun: false), CancellationToken.None);
                runs++;
            }
        });
        try
        {
            foreach (var (repository, _, _) in images)
            {
                var synced = await skopeo.SyncAsync("docker", $"{registry.Host}/alice/{repository}", "docker", $"{registry.Host}/alice/mirror", Alice, Alice);
                Assert.That(synced.Succeeded, Is.True, synced.ToString());
            }
        }
        finally
        {
            await stop.CancelAsync();
            await cleanups;
        }

        Assert.That(runs, Is.GreaterThan(0));
        foreach (var (repository, layout, image) in images)
        {
            var pulled = new OciLayout(Path.Combine(scratch, $"pulled-{repository}"));
            await CopyAsync(registry.Image($"alice/mirror/{repository}", "v1"), pulled.Reference("v1"), from: Alice);
            Assert.That(pulled.Tags()["v1"].Digest, Is.EqualTo(image.Index.Digest), repository);
            Assert.That(pulled.BlobDigests(), Is.EqualTo(layout.BlobDigests()), $"{repository} pulls whole");
        }

        await AssertFsckCleanAsync(registry);
    }

    [Test]
    public async Task Syncs_against_cleanups_with_no_window_at_all_never_publish_a_partial_image()
    {
        await using var registry = await StartWithAliceAsync();
        var images = new List<(string Repository, OciLayout Layout, OciImage Image)>();
        for (var i = 0; i < 3; i++)
        {
            var layout = new OciLayout(Path.Combine(scratch, $"source{i}"));
            var image = layout.WriteImage("v1", seed: 200 + i);
            await CopyAsync(layout.Reference("v1"), registry.Image($"alice/src{i}", "v1"), to: Alice);
            images.Add(($"src{i}", layout, image));
        }

        // No window: a mirrored manifest is fair game for the cleanups one second after it lands, and an uploaded
        // blob no manifest uses yet too. Syncs may fail (MANIFEST_BLOB_UNKNOWN); what they publish must be whole.
        using var stop = new CancellationTokenSource();
        var dangling = registry.World.Service<DanglingImageCleanup>();
        var expired = registry.World.Service<ExpiredDataCleanup>();
        var cleanups = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await dangling.RunAsync(new DanglingImageCleanupOptions(TimeSpan.Zero, 100, DryRun: false), CancellationToken.None);
                await expired.RunAsync(new ExpiredDataCleanupOptions(TimeSpan.Zero, DryRun: false), CancellationToken.None);
            }
        });
        var succeeded = new HashSet<string>();
        var failed = 0;
        try
        {
            for (var round = 0; round < 3; round++)
            {
                foreach (var (repository, _, _) in images)
                {
                    var mirror = $"{registry.Host}/alice/mirror{round}";
                    var synced = await skopeo.SyncAsync("docker", $"{registry.Host}/alice/{repository}", "docker", mirror, Alice, Alice);
                    if (synced.Succeeded)
                    {
                        succeeded.Add($"alice/mirror{round}/{repository}");
                    }
                    else
                    {
                        failed++;
                        // Refused with a code the client understands (a blob, upload or manifest the cleanups took is
                        // unknown), never a server error.
                        Assert.That(synced.Errors, Does.Contain("unknown").IgnoreCase.And.Not.Contain("failed to handle the request"), synced.ToString());
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await cleanups;
        }

        await TestContext.Out.WriteLineAsync($"{succeeded.Count} syncs published their image, {failed} were refused");
        for (var round = 0; round < 3; round++)
        {
            foreach (var (repository, layout, image) in images)
            {
                var name = $"alice/mirror{round}/{repository}";
                var inspected = await skopeo.InspectRawAsync(registry.Image(name, "v1"), Alice);
                Assert.That(inspected.Succeeded || !succeeded.Contains(name), Is.True, $"{name} was synced but does not pull: {inspected}");
                if (!inspected.Succeeded)
                {
                    continue;
                }

                var pulled = new OciLayout(Path.Combine(scratch, $"pulled-{round}-{repository}"));
                await CopyAsync(registry.Image(name, "v1"), pulled.Reference("v1"), from: Alice);
                Assert.That(pulled.Tags()["v1"].Digest, Is.EqualTo(image.Index.Digest), name);
                Assert.That(pulled.BlobDigests(), Is.EqualTo(layout.BlobDigests()), $"{name} pulls whole");
            }
        }

        await AssertFsckCleanAsync(registry);
    }

    [Test]
    public async Task Wrong_credentials_and_another_owners_namespace_are_refused_and_write_nothing()
    {
        await using var registry = await StartWithAliceAsync();
        await registry.AddAccountAsync("bob", "bobs password");
        var source = new OciLayout(Path.Combine(scratch, "source"));
        source.WriteImage("v1", seed: 31);

        var wrong = await skopeo.CopyAllAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: RegistryWorld.As("alice", "not the password"));
        Assert.That(wrong.Succeeded, Is.False);
        Assert.That(wrong.Errors, Does.Contain("unauthorized").IgnoreCase);
        Assert.That(wrong.Errors, Does.Not.Contain("not the password"));

        var other = await skopeo.CopyAllAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: RegistryWorld.As("bob", "bobs password"));
        Assert.That(other.Succeeded, Is.False);
        Assert.That(other.Errors, Does.Contain("denied").IgnoreCase);

        var anonymous = await skopeo.InspectRawAsync(registry.Image("alice/app", "v1"), SkopeoAccess.Http);
        Assert.That(anonymous.Succeeded, Is.False);

        Assert.That(await registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"), "no package, version, file, blob, property or upload");
        Assert.That(StoreFiles(registry), Is.Empty, "no content, staged file or partial upload");
    }

    [Test]
    public async Task With_anonymous_pulls_on_skopeo_pulls_without_credentials_and_still_cannot_push()
    {
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:AnonymousPull", "true"));
        await registry.AddAccountAsync("alice", Password);
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var image = source.WriteImage("v1", seed: 61, platforms: 2);
        await CopyAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: Alice);

        var pulled = new OciLayout(Path.Combine(scratch, "pulled"));
        await CopyAsync(registry.Image("alice/app", "v1"), pulled.Reference("v1"), from: SkopeoAccess.Http);
        Assert.That(pulled.Tags()["v1"].Digest, Is.EqualTo(image.Index.Digest));

        var pushed = await skopeo.CopyAllAsync(source.Reference("v1"), registry.Image("alice/other", "v1"), to: SkopeoAccess.Http);
        Assert.That(pushed.Succeeded, Is.False);
        // skopeo follows the Bearer challenge to an anonymous token, which grants pull only.
        Assert.That(pushed.Errors, Does.Contain("the bearer token does not grant push on alice/other"));
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package WHERE name = 'other'"), Is.Zero);
    }

    [Test]
    public async Task Credentials_never_reach_a_log_even_at_trace_level()
    {
        await using var registry = await RegistryWorld.StartAsync();
        await registry.AddAccountAsync("alice", Password);
        var source = new OciLayout(Path.Combine(scratch, "source"));
        source.WriteImage("v1", seed: 51, platforms: 2);

        await CopyAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: Alice);
        var wrong = await skopeo.CopyAllAsync(source.Reference("v1"), registry.Image("alice/app", "v2"), to: RegistryWorld.As("alice", "a wrong password"));
        Assert.That(wrong.Succeeded, Is.False);
        await CopyAsync(registry.Image("alice/app", "v1"), new OciLayout(Path.Combine(scratch, "pulled")).Reference("v1"), from: Alice);

        var text = registry.Logs;
        Assert.That(text, Does.Contain("/v2/alice/app"), "the requests were logged at trace level");
        foreach (var secret in new[] { Password, "a wrong password" })
        {
            Assert.That(text, Does.Not.Contain(secret));
            Assert.That(text, Does.Not.Contain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{secret}"))));
        }
    }

    [Test]
    public async Task A_push_abandoned_halfway_leaves_no_partial_image_and_its_upload_goes_with_the_expired_data_cleanup()
    {
        await using var registry = await StartWithAliceAsync();
        var source = new OciLayout(Path.Combine(scratch, "source"));
        var image = source.WriteImage("v1", seed: 41, platforms: 2);
        var layer = image.Platforms[0].Layers[0].Digest;
        var path = Path.Combine(source.Path, "blobs", "sha256", layer["sha256:".Length..]);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);

        var pushed = await skopeo.CopyAllAsync(source.Reference("v1"), registry.Image("alice/app", "v1"), to: Alice);

        Assert.That(pushed.Succeeded, Is.False, "the damaged layer cannot be pushed");
        Assert.That(pushed.Errors, Does.Contain("Digest did not match"), "skopeo stops sending mid-upload");
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_blob WHERE hash_sha256 = $1", layer["sha256:".Length..]), Is.Zero);
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_version WHERE version = 'v1'"), Is.Zero, "no tag for a partial image");
        Assert.That(File.Exists(registry.ContentPath(layer)), Is.False);

        // skopeo abandoned the upload session of the damaged layer, and the blobs it had finished have no manifest:
        // the expired-data cleanup takes both (and the container cleanup any platform manifest it got in).
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM package_blob_upload"), Is.EqualTo(1));
        Assert.That(StoreFiles(registry).Where(f => f.Contains("/uploads/", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1));
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var expired = await registry.RunForgeAsync("packages", "cleanup", "--older-than", "0s");
        Assert.That(expired.ExitCode, Is.EqualTo(ExitCodes.Success), expired.Error);
        var dangling = await registry.RunForgeAsync("packages", "container", "cleanup-sha256", "--older-than", "0s");
        Assert.That(dangling.ExitCode, Is.EqualTo(ExitCodes.Success), dangling.Error);
        expired = await registry.RunForgeAsync("packages", "cleanup", "--older-than", "0s");
        Assert.That(expired.ExitCode, Is.EqualTo(ExitCodes.Success), expired.Error);
        Assert.That(await registry.World.SnapshotAsync(), Is.EqualTo("0 0 0 0 0 0"));
        Assert.That(StoreFiles(registry), Is.Empty);
    }

    private static async Task<RegistryWorld> StartWithAliceAsync()
    {
        var registry = await RegistryWorld.StartAsync();
        await registry.AddAccountAsync("alice", Password);
        return registry;
    }

    private async Task CopyAsync(string source, string destination, SkopeoAccess? from = null, SkopeoAccess? to = null)
    {
        var result = await skopeo.CopyAllAsync(source, destination, from, to);
        Assert.That(result.Succeeded, Is.True, result.ToString());
    }

    private async Task<byte[]> InspectAsync(string image)
    {
        var result = await skopeo.InspectRawAsync(image, Alice);
        Assert.That(result.Succeeded, Is.True, result.ToString());
        return Encoding.UTF8.GetBytes(result.Output);
    }

    private static async Task<List<string>> DigestVersionsAsync(RegistryWorld registry)
    {
        var list = await registry.World.ScalarAsync<string[]>("SELECT coalesce(array_agg(version ORDER BY version), '{}') FROM package_version WHERE lower_version LIKE 'sha256:%'");
        return [.. list ?? []];
    }

    private static List<string> StoreFiles(RegistryWorld registry)
        => Directory.Exists(registry.World.StorePath) ? [.. Directory.EnumerateFiles(registry.World.StorePath, "*", SearchOption.AllDirectories)] : [];

    private static async Task AssertFsckCleanAsync(RegistryWorld registry)
    {
        var fsck = await registry.RunForgeAsync("packages", "fsck");
        Assert.That(fsck.ExitCode, Is.EqualTo(ExitCodes.Success), fsck.Output + fsck.Error);
    }
}
