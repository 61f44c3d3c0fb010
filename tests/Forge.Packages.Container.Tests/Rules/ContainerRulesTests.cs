using System.Security.Cryptography;
using System.Text;
using Forge.Host.Scheduling;
using Forge.Modularity;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Tests.Integration;
using Forge.Packages.Rules;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Rules;

/// <summary>
/// The owners' rules over container images, against a real PostgreSQL, with images published through the registry's
/// write path: what a rule keeps and removes, that removing a tag never breaks an image, and that a push wins.
/// </summary>
[NonParallelizable]
public sealed class ContainerRulesTests
{
    private const long Day = 86_400;

    private static readonly string[] NewestThreeAndLatest = ["latest", "v10", "v8", "v9"];
    private static readonly string[] OldestThree = ["v1", "v2", "v3"];
    private static readonly string[] Release = ["release"];
    private static readonly int[] PagesOfThree = [3, 3, 3, 2];
    private static readonly string[] Chain = ["cleanup_package_rules manual success", "cleanup_container_sha256 chained success", "cleanup_packages chained success"];

    private CleanupHarness h = null!;

    [SetUp]
    public async Task CreateWorld() => h = await CleanupHarness.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await h.DisposeAsync();

    private PackageRulesCleanup Rules => h.Service<PackageRulesCleanup>();

    private ContainerRetention Retention => h.Service<IEnumerable<IPackageTypeRetention>>().OfType<ContainerRetention>().Single();

    [Test]
    public async Task Keep_count_three_keeps_the_three_newest_tags_and_latest_and_leaves_digest_versions_alone()
    {
        for (var i = 1; i <= 10; i++)
        {
            await h.PushPlatformAsync("demo/app", h.Now - ((20 - i) * Day), tag: $"v{i}");
        }

        await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), tag: "latest");
        var orphan = await h.PushPlatformAsync("demo/app", h.Now - (40 * Day));
        await AddRuleAsync(new CleanupRule { Type = "container", Enabled = true, KeepCount = 3 });

        var report = await Rules.RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await TagsAsync(), Is.EquivalentTo(NewestThreeAndLatest));
            Assert.That(await h.VersionExistsAsync(orphan.VersionId), Is.True, "a digest version is the dangling cleanup's");
            Assert.That(report.VersionsRemoved, Is.EqualTo(7));
            Assert.That(report.VersionsKept, Does.ContainKey("keep_count").WithValue(3L));
            Assert.That(report.VersionsKept, Does.ContainKey("latest").WithValue(1L));
            Assert.That(report.VersionsKept, Does.ContainKey("digest").WithValue(1L));
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task A_preview_removes_nothing_and_names_exactly_what_the_run_then_removes()
    {
        for (var i = 1; i <= 5; i++)
        {
            await h.PushPlatformAsync("demo/app", h.Now - ((20 - i) * Day), tag: $"v{i}");
        }

        var rule = await AddRuleAsync(new CleanupRule { Type = "container", Enabled = false, KeepCount = 2 });
        var before = await h.SnapshotAsync();

        var preview = (await Rules.PreviewAsync(rule.Id, CancellationToken.None))!;
        var afterPreview = await h.SnapshotAsync();
        await h.Service<CleanupRuleStore>().UpdateAsync(rule with { Enabled = true }, CancellationToken.None);
        var run = await Rules.RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(afterPreview, Is.EqualTo(before));
            Assert.That(preview.DryRun, Is.True);
            Assert.That(Removed(preview), Is.EqualTo(OldestThree));
            Assert.That(Removed(run), Is.EqualTo(Removed(preview)));
        });
    }

    [Test]
    public async Task Removing_a_tag_whose_manifest_an_index_names_keeps_the_manifest_as_a_digest_version()
    {
        var amd64 = await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), tag: "amd64");
        var index = await h.PushIndexAsync("demo/app", "release", h.Now - (30 * Day), amd64);
        await AddRuleAsync(new CleanupRule { Type = "container", Enabled = true, KeepPattern = "release" });

        var report = await Rules.RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        var store = h.Service<RegistryStore>();
        var package = await h.PackageIdOfAsync(index.VersionId);
        Assert.Multiple(async () =>
        {
            Assert.That(report.VersionsRemoved, Is.EqualTo(1));
            Assert.That(await TagsAsync(), Is.EqualTo(Release));
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty, "the index still has its child");
            Assert.That((await store.FindManifestAsync(package, amd64.Digest, byDigest: true, CancellationToken.None))?.Digest, Is.EqualTo(amd64.Digest));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE lower_version = $1", amd64.Digest), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Two_tags_of_one_manifest_removed_in_one_batch_keep_that_manifest_while_an_index_names_it()
    {
        // Each tag alone sees the other still carrying the manifest; removed together, neither does.
        var config = new ImageBlob(Encoding.UTF8.GetBytes("{\"config\":\"shared\"}"), ImageMediaTypes.OciConfig);
        ImageBlob[] layers = [new ImageBlob(RandomNumberGenerator.GetBytes(512), ImageMediaTypes.OciLayer)];
        var first = await h.Images.PushImageAsync(1, "demo/app", "v1", "linux/amd64", config, layers, h.Now - (30 * Day));
        var second = await h.Images.PushImageAsync(1, "demo/app", "v2", "linux/amd64", config, layers, h.Now - (29 * Day));
        Assert.That(second.Digest, Is.EqualTo(first.Digest), "one manifest under two tags");
        var index = await h.PushIndexAsync("demo/app", "release", h.Now - (30 * Day), first);
        await AddRuleAsync(new CleanupRule { Type = "container", Enabled = true, KeepPattern = "release" });

        var report = await Rules.RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        var package = await h.PackageIdOfAsync(index.VersionId);
        Assert.Multiple(async () =>
        {
            Assert.That(report.VersionsRemoved, Is.EqualTo(2));
            Assert.That(await TagsAsync(), Is.EqualTo(Release));
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty, "the index still has its child");
            Assert.That((await h.Service<RegistryStore>().FindManifestAsync(package, first.Digest, byDigest: true, CancellationToken.None))?.Digest,
                Is.EqualTo(first.Digest));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE lower_version = $1", first.Digest), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_package_read_in_pages_is_judged_as_one_list_newest_first_ties_by_id()
    {
        // Eleven tags, pairs of them pushed in the same second, read three at a time: keep_count counts across pages and
        // a page boundary that falls between two versions of one second loses or repeats neither.
        var pushed = new List<long>();
        for (var i = 1; i <= 11; i++)
        {
            pushed.Add((await h.PushPlatformAsync("demo/app", h.Now - ((20 - (i / 2)) * Day), tag: $"v{i}")).VersionId);
        }

        await AddRuleAsync(new CleanupRule { Type = "container", Enabled = true, KeepCount = 4 });
        var package = await h.PackageIdOfAsync(pushed[0]);
        var pages = await h.Service<CleanupRuleStore>().VersionPagesAsync(package, withRevision: false, pageSize: 3, CancellationToken.None).ToListAsync();
        var whole = pages.SelectMany(p => p).ToList();
        var preview = await Rules.RunAsync(new PackageRulesCleanupOptions(DryRun: true, PageSize: 3), CancellationToken.None);

        var report = await Rules.RunAsync(new PackageRulesCleanupOptions(PageSize: 3), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(pages.Select(p => p.Count), Is.EqualTo(PagesOfThree));
            Assert.That(whole.Select(v => v.Id), Is.Unique);
            Assert.That(whole, Is.Ordered.Descending.By(nameof(RuleCandidate.CreatedUnix)).Then.Descending.By(nameof(RuleCandidate.Id)));
            Assert.That(preview.Rules.Single().Versions.Where(v => v.Decision == RuleReason.Removed).Select(v => v.Version),
                Is.EquivalentTo(Enumerable.Range(1, 7).Select(i => $"v{i}")));
            Assert.That(report.VersionsRemoved, Is.EqualTo(7));
            Assert.That(await TagsAsync(), Is.EquivalentTo(Enumerable.Range(8, 4).Select(i => $"v{i}")));
        });
    }

    [Test]
    public async Task A_tag_pushed_again_after_it_was_judged_is_not_removed()
    {
        var old = await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), tag: "v1");
        var rule = new CleanupRule { Type = "container", Enabled = true };
        var package = await h.PackageIdOfAsync(old.VersionId);
        var judged = await h.Service<CleanupRuleStore>().VersionPagesAsync(package, withRevision: true, pageSize: 100, CancellationToken.None).SingleAsync();
        Assert.That(new RulePlanner(rule, h.Now).Plan("app", judged, Retention.PassOver).Single().Decision, Is.EqualTo(RuleReason.Removed));

        var again = await h.PushPlatformAsync("demo/app", h.Now, tag: "v1");
        await using var connection = await h.Service<Npgsql.NpgsqlDataSource>().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var removed = await Retention.RemoveAsync(connection, transaction, judged, CancellationToken.None);
        await transaction.CommitAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(removed, Is.Empty);
            Assert.That(again.VersionId, Is.EqualTo(old.VersionId), "a re-push keeps the tag's row");
            Assert.That(await h.VersionExistsAsync(again.VersionId), Is.True);
        });
    }

    [Test]
    public async Task A_rule_whose_stored_pattern_does_not_compile_fails_alone_and_loudly()
    {
        await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), tag: "v1");
        await h.ExecuteAsync("INSERT INTO package_cleanup_rule (enabled, owner_id, type, keep_pattern) VALUES (true, 1, 'container', '(')");
        var other = await h.PushPlatformAsync("demo/tool", h.Now - (30 * Day), tag: "v1");
        await h.ExecuteAsync("UPDATE package SET owner_id = 2 WHERE id = $1", await h.PackageIdOfAsync(other.VersionId));
        await h.ExecuteAsync("INSERT INTO package_cleanup_rule (enabled, owner_id, type) VALUES (true, 2, 'container')");

        var result = await h.Service<CronRunner>().RunAsync(PackageRulesCleanupTask.Name, CronRunTrigger.Manual, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(result.Outcome, Is.EqualTo(CronRunOutcome.Failure));
            Assert.That(result.Summary, Does.Contain("keep_pattern"));
            Assert.That(await h.VersionExistsAsync(other.VersionId), Is.False, "the other owner's rule ran");
            Assert.That(await TagsAsync(), Does.Contain("v1"), "the failing rule removed nothing");
        });
    }

    [Test]
    public async Task The_default_rule_applies_to_owners_without_a_rule_of_its_type_only()
    {
        await using var world = await CleanupHarness.CreateAsync(settings:
            [("Forge:Packages:DefaultCleanupRule:Enabled", "true"), ("Forge:Packages:DefaultCleanupRule:KeepCount", "1")]);
        var ruled = await world.PushPlatformAsync("demo/app", world.Now - (30 * Day), tag: "v1");
        await world.PushPlatformAsync("demo/app", world.Now - (20 * Day), tag: "v2");
        var unruled = await world.PushPlatformAsync("demo/tool", world.Now - (30 * Day), tag: "v1");
        await world.PushPlatformAsync("demo/tool", world.Now - (20 * Day), tag: "v2");
        await world.ExecuteAsync("UPDATE package SET owner_id = 2 WHERE id = $1", await world.PackageIdOfAsync(unruled.VersionId));
        await world.ExecuteAsync("INSERT INTO package_cleanup_rule (enabled, owner_id, type, keep_count) VALUES (true, 1, 'container', 5)");

        var report = await world.Service<PackageRulesCleanup>().RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await world.VersionExistsAsync(ruled.VersionId), Is.True, "owner 1's own rule keeps 5");
            Assert.That(await world.VersionExistsAsync(unruled.VersionId), Is.False, "owner 2 has the default rule, keep 1");
            Assert.That(report.Rules.Single(r => r.OwnerId == 2).IsDefault, Is.True);
        });
    }

    [Test]
    public async Task A_rule_of_a_type_no_module_serves_is_left_alone()
    {
        var package = await h.PackageAsync("left-pad", type: "npm");
        var version = await h.VersionAsync(package, "1.0.0", h.Now - (30 * Day), "{}");
        await h.ExecuteAsync("INSERT INTO package_cleanup_rule (enabled, owner_id, type) VALUES (true, 1, 'npm')");

        var report = await Rules.RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(version), Is.True);
            Assert.That(report.Rules.Single().NotRun, Does.Contain("npm"));
            Assert.That(report.RulesFailed, Is.Zero);
        });
    }

    [Test]
    public async Task A_version_pulled_within_keep_pulled_days_stays()
    {
        var pulled = await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), tag: "pulled");
        var idle = await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), tag: "idle");
        await h.ExecuteAsync("INSERT INTO forge_package_version_pull (version_id, last_pulled_unix) VALUES ($1, $2), ($3, $4)",
            pulled.VersionId, h.Now - (2 * Day), idle.VersionId, h.Now - (20 * Day));
        await AddRuleAsync(new CleanupRule { Type = "container", Enabled = true, KeepPulledDays = 7 });

        await Rules.RunAsync(new PackageRulesCleanupOptions(), CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(pulled.VersionId), Is.True);
            Assert.That(await h.VersionExistsAsync(idle.VersionId), Is.False);
            Assert.That(await h.CountAsync("SELECT count(*) FROM forge_package_version_pull WHERE version_id = $1", idle.VersionId), Is.Zero, "the pull went with its version");
        });
    }

    [Test]
    public async Task The_nightly_chain_untags_then_removes_the_dangling_platforms_then_frees_their_blobs()
    {
        var amd64 = await h.PushPlatformAsync("demo/app", h.Now - (30 * Day));
        var arm64 = await h.PushPlatformAsync("demo/app", h.Now - (30 * Day), platform: "linux/arm64");
        var old = await h.PushIndexAsync("demo/app", "v1", h.Now - (30 * Day), amd64, arm64);
        var keptChild = await h.PushPlatformAsync("demo/app", h.Now - (10 * Day));
        await h.PushIndexAsync("demo/app", "v2", h.Now - (10 * Day), keptChild);
        await AddRuleAsync(new CleanupRule { Type = "container", Enabled = true, KeepCount = 1 });
        var blobsBefore = await h.CountAsync("SELECT count(*) FROM package_blob");

        await h.Service<CronRunner>().RunAsync(PackageRulesCleanupTask.Name, CronRunTrigger.Manual, CancellationToken.None);

        var runs = await h.Database.ColumnAsync("SELECT task || ' ' || trigger || ' ' || outcome FROM forge_cron_run ORDER BY id");
        Assert.Multiple(async () =>
        {
            Assert.That(runs, Is.EqualTo(Chain));
            Assert.That(await h.VersionExistsAsync(old.VersionId), Is.False);
            Assert.That(await h.VersionExistsAsync(amd64.VersionId), Is.False, "the dangling cleanup removed the platforms");
            Assert.That(await h.VersionExistsAsync(arm64.VersionId), Is.False);
            Assert.That(await h.VersionExistsAsync(keptChild.VersionId), Is.True);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_blob"), Is.LessThan(blobsBefore), "the expired-data cleanup freed the blobs");
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    private async Task<CleanupRule> AddRuleAsync(CleanupRule rule)
        => await h.Service<CleanupRuleStore>().AddAsync(rule with { OwnerId = 1 }, CancellationToken.None);

    private Task<List<string>> TagsAsync()
        => h.Database.ColumnAsync("SELECT version FROM package_version WHERE NOT is_internal AND lower_version NOT LIKE 'sha256:%' ORDER BY version");

    private static string[] Removed(PackageRulesCleanupReport report)
        => [.. report.Rules.SelectMany(r => r.Versions).Where(v => v.Decision == RuleReason.Removed).Select(v => v.Version).Order(StringComparer.Ordinal)];
}
