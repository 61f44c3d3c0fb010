using Forge.Packages.Container.Cleanup;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// The dangling image cleanup against a real PostgreSQL: the reference implementation's scenarios, then
/// every rule of docs/cleanup.md and every row of its table of differences.
/// </summary>
[NonParallelizable]
public sealed class CleanupRulesTests
{
    private CleanupHarness h = null!;

    [SetUp]
    public async Task CreateWorld() => h = await CleanupHarness.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await h.DisposeAsync();

    [Test]
    public async Task An_empty_database_is_scanned_and_nothing_is_deleted()
    {
        var report = await h.CleanupAsync();

        Assert.Multiple(() =>
        {
            Assert.That(report.Skipped, Is.False);
            Assert.That(report.ScannedVersions, Is.Zero);
            Assert.That(report.DeletedVersions, Is.Zero);
            Assert.That(report.Candidates, Is.Empty);
        });
    }

    [Test]
    public async Task An_orphan_created_long_ago_is_deleted_and_a_second_run_finds_nothing()
    {
        var orphan = await h.PushPlatformAsync("demo/app", h.Old);

        var first = await h.CleanupAsync();
        var second = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(orphan.VersionId), Is.False);
            Assert.That(first.DeletedVersions, Is.EqualTo(1));
            Assert.That(first.Candidates.Single().Decision, Is.EqualTo(DanglingImageDecision.Delete));
            Assert.That(second.UnreferencedVersions, Is.Zero);
            Assert.That(second.DeletedVersions, Is.Zero);
        });
    }

    [Test]
    public async Task A_recent_orphan_is_kept_as_too_young_then_deleted_with_older_than_zero()
    {
        var orphan = await h.PushPlatformAsync("demo/app", h.Young);

        var kept = await h.CleanupAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(orphan.VersionId), Is.True);
            Assert.That(kept.TooYoungVersions, Is.EqualTo(1));
            Assert.That(kept.Candidates.Single().Decision, Is.EqualTo(DanglingImageDecision.TooYoung));
        });

        var deleted = await h.CleanupAsync(TimeSpan.Zero);
        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(orphan.VersionId), Is.False);
            Assert.That(deleted.DeletedVersions, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_digest_version_referenced_by_a_tag_index_is_kept()
    {
        var amd64 = await h.PushPlatformAsync("demo/app", h.Old, "linux/amd64");
        var arm64 = await h.PushPlatformAsync("demo/app", h.Old, "linux/arm64");
        await h.PushIndexAsync("demo/app", "v1", h.Old, amd64, arm64);

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(amd64.VersionId), Is.True);
            Assert.That(await h.VersionExistsAsync(arm64.VersionId), Is.True);
            Assert.That(report.UnreferencedVersions, Is.Zero);
            Assert.That(report.DigestVersions, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task An_image_is_deleted_with_its_files_and_their_properties_while_package_blobs_and_other_versions_stay()
    {
        var kept = await h.PushPlatformAsync("demo/app", h.Old, tag: "stable");
        var orphan = await h.PushPlatformAsync("demo/app", h.Old);
        var files = await h.CountAsync("SELECT count(*) FROM package_file WHERE version_id = $1", orphan.VersionId);
        var blobsBefore = await h.CountAsync("SELECT count(*) FROM package_blob");
        var keptRows = await h.CountAsync(
            "SELECT (SELECT count(*) FROM package_file WHERE version_id = $1) + (SELECT count(*) FROM package_property WHERE ref_type = 0 AND ref_id = $1)", kept.VersionId);

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(files, Is.EqualTo(3), "config, layer and manifest.json");
            Assert.That(report.DeletedVersions, Is.EqualTo(1));
            Assert.That(report.DeletedFiles, Is.EqualTo(3));
            Assert.That(report.DeletedProperties, Is.EqualTo(6), "container.digest and container.mediatype of each file");
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_file WHERE version_id = $1", orphan.VersionId), Is.Zero);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package WHERE lower_name = 'app'"), Is.EqualTo(1));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_blob"), Is.EqualTo(blobsBefore), "blobs are the expired-data cleanup's");
            Assert.That(await h.VersionExistsAsync(kept.VersionId), Is.True);
            Assert.That(await h.CountAsync(
                "SELECT (SELECT count(*) FROM package_file WHERE version_id = $1) + (SELECT count(*) FROM package_property WHERE ref_type = 0 AND ref_id = $1)", kept.VersionId),
                Is.EqualTo(keptRows));
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task Index_metadata_written_with_spaces_still_protects_its_children()
    {
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        var index = await h.PushIndexAsync("demo/app", "v1", h.Old, child);
        // Another tool re-serialized the metadata with spaces and newlines, and dropped the properties.
        await h.ExecuteAsync("UPDATE package_version SET metadata_json = $2 WHERE id = $1", index.VersionId,
            $"{{ \"type\": \"oci\",\n  \"manifests\": [ {{ \"platform\": \"linux/amd64\", \"digest\": \"{child.Digest.ToUpperInvariant().Replace("SHA256:", "sha256:", StringComparison.Ordinal)}\" }} ] }}");
        await h.ExecuteAsync("DELETE FROM package_property WHERE ref_type = 0 AND ref_id = $1 AND name = 'container.manifest.reference'", index.VersionId);

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.UnreferencedVersions, Is.Zero);
        });
    }

    [Test]
    public async Task Damaged_index_metadata_keeps_children_while_its_reference_properties_remain_and_is_reported()
    {
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        var index = await h.PushIndexAsync("demo/app", "v1", h.Old, child);
        await h.ExecuteAsync("UPDATE package_version SET metadata_json = '{\"type\":\"oci\",\"manifests\":[{\"plat' WHERE id = $1", index.VersionId);

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.MalformedVersionIds, Is.EqualTo(new[] { index.VersionId }));
        });
    }

    [Test]
    public async Task Damaged_index_metadata_keeps_children_while_their_digests_remain_in_its_text()
    {
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        var index = await h.PushIndexAsync("demo/app", "v1", h.Old, child);
        await h.ExecuteAsync("DELETE FROM package_property WHERE ref_type = 0 AND ref_id = $1 AND name = 'container.manifest.reference'", index.VersionId);
        await h.ExecuteAsync("UPDATE package_version SET metadata_json = $2 WHERE id = $1", index.VersionId, $"{{\"manifests\":[{{\"digest\":\"{child.Digest}\"");

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(report.MalformedVersionIds, Does.Contain(index.VersionId));
        });
    }

    [Test]
    public async Task A_nested_index_keeps_its_own_entries_while_it_is_reachable()
    {
        var platform = await h.PushPlatformAsync("demo/app", h.Old);
        var inner = await h.PushIndexAsync("demo/app", null, h.Old, platform);
        await h.PushIndexAsync("demo/app", "v1", h.Old, inner);

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(inner.VersionId), Is.True);
            Assert.That(await h.VersionExistsAsync(platform.VersionId), Is.True);
            Assert.That(report.UnreferencedVersions, Is.Zero);
        });
    }

    [Test]
    public async Task An_unreachable_nested_index_goes_with_its_entries_referrers_first()
    {
        var platform = await h.PushPlatformAsync("demo/app", h.Old);
        var inner = await h.PushIndexAsync("demo/app", null, h.Old, platform);
        var outer = await h.PushIndexAsync("demo/app", null, h.Old, inner);

        var report = await h.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(report.DeletedVersions, Is.EqualTo(3));
            Assert.That(report.Batches, Is.EqualTo(3));
            Assert.That(await h.VersionExistsAsync(outer.VersionId), Is.False);
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [Test]
    public async Task Old_children_of_a_young_unreferenced_index_are_kept_until_the_index_is_old_too()
    {
        var amd64 = await h.PushPlatformAsync("demo/sync", h.Old, "linux/amd64");
        var arm64 = await h.PushPlatformAsync("demo/sync", h.Old, "linux/arm64");
        var index = await h.PushIndexAsync("demo/sync", null, h.Young, amd64, arm64);

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(amd64.VersionId), Is.True);
            Assert.That(await h.VersionExistsAsync(arm64.VersionId), Is.True);
            Assert.That(report.TooYoungVersions, Is.EqualTo(3));
            Assert.That(report.Candidates.Select(c => c.Decision), Is.All.EqualTo(DanglingImageDecision.TooYoung));
            Assert.That(report.Candidates.Select(c => c.VersionId), Is.EquivalentTo(new[] { amd64.VersionId, arm64.VersionId, index.VersionId }));
        });
    }

    [Test]
    public async Task An_index_newer_than_the_cutoff_is_read_and_protects_its_old_children()
    {
        // The reference implementation once filtered its inventory by age and never read such an index.
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        await h.PushIndexAsync("demo/app", "v1", h.Young, child);

        await h.CleanupAsync();

        Assert.That(await h.VersionExistsAsync(child.VersionId), Is.True);
    }

    [Test]
    public async Task A_digest_version_stored_in_upper_case_by_another_tool_is_kept_by_a_lower_case_reference()
    {
        var digest = CleanupHarness.Digest("mixed");
        var package = await h.PackageAsync("app");
        var child = await h.VersionAsync(package, "sha256:" + digest["sha256:".Length..].ToUpperInvariant(), h.Old, null);
        await h.VersionAsync(package, "v1", h.Old, $"{{\"manifests\":[{{\"digest\":\"{digest}\"}}]}}");

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(child), Is.True);
            Assert.That(report.UnreferencedVersions, Is.Zero);
        });
    }

    [Test]
    public async Task The_same_orphan_digest_in_two_packages_is_deleted_from_both_in_one_run()
    {
        var digest = CleanupHarness.Digest("shared");
        var a = await h.VersionAsync(await h.PackageAsync("one"), digest, h.Old, "{\"type\":\"oci\"}");
        var b = await h.VersionAsync(await h.PackageAsync("two"), digest, h.Old, "{\"type\":\"oci\"}");

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(a), Is.False);
            Assert.That(await h.VersionExistsAsync(b), Is.False);
            Assert.That(report.DeletedVersions, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_digest_referenced_from_another_package_is_still_dangling_in_its_own()
    {
        var digest = CleanupHarness.Digest("elsewhere");
        var other = await h.VersionAsync(await h.PackageAsync("other"), digest, h.Old, null);
        var app = await h.PackageAsync("app");
        var index = await h.VersionAsync(app, "v1", h.Old, $"{{\"manifests\":[{{\"digest\":\"{digest}\"}}]}}");
        await h.PropertyAsync(0, index, ContainerLayout.ReferenceProperty, digest);

        await h.CleanupAsync();

        Assert.That(await h.VersionExistsAsync(other), Is.False);
    }

    [Test]
    public async Task Properties_of_other_ref_types_with_the_same_ids_are_never_touched()
    {
        // The kept image's files take the low ids, so the orphan's version id is also the id of a kept file.
        var kept = await h.PushPlatformAsync("demo/app", h.Old, tag: "stable");
        var orphan = await h.PushPlatformAsync("demo/app", h.Old);
        Assert.That(await h.CountAsync("SELECT count(*) FROM package_file WHERE id = $1 AND version_id = $2", orphan.VersionId, kept.VersionId), Is.EqualTo(1));
        var fileProperty = await h.PropertyAsync(1, orphan.VersionId, "unrelated.file", "x");
        var packageProperty = await h.PropertyAsync(2, orphan.VersionId, "unrelated.package", "x");
        var versionProperty = await h.PropertyAsync(0, orphan.VersionId, "container.manifest.tagged", string.Empty);
        var stray = await h.PropertyAsync(3, orphan.VersionId, "some.other.kind", "x");

        await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(orphan.VersionId), Is.False);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_property WHERE id = $1", versionProperty), Is.Zero);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_property WHERE id = ANY($1)", new[] { fileProperty, packageProperty, stray }), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Versions_of_packages_that_are_not_containers_are_never_read_or_touched()
    {
        var generic = await h.VersionAsync(await h.PackageAsync("tarballs", "generic"), CleanupHarness.Digest("generic"), h.Old, null);

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(generic), Is.True);
            Assert.That(report.ScannedVersions, Is.Zero);
        });
    }

    [Test]
    public async Task A_version_created_exactly_at_the_cutoff_is_kept_and_one_second_older_is_deleted()
    {
        var package = await h.PackageAsync("app");
        var cutoff = h.Now - CleanupHarness.Day;
        var atCutoff = await h.VersionAsync(package, CleanupHarness.Digest("at"), cutoff, null);
        var before = await h.VersionAsync(package, CleanupHarness.Digest("before"), cutoff - 1, null);

        var report = await h.CleanupAsync(TimeSpan.FromHours(24));

        Assert.Multiple(async () =>
        {
            Assert.That(report.CutoffUnix, Is.EqualTo(cutoff));
            Assert.That(await h.VersionExistsAsync(atCutoff), Is.True);
            Assert.That(await h.VersionExistsAsync(before), Is.False);
        });
    }

    [TestCase(1, 5)]
    [TestCase(2, 3)]
    public async Task Batches_smaller_than_the_work_delete_everything_in_bounded_transactions(int batchSize, int batches)
    {
        var orphans = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            orphans.Add((await h.PushPlatformAsync("demo/app", h.Old)).VersionId);
        }

        var report = await h.CleanupAsync(batchSize: batchSize);

        Assert.Multiple(async () =>
        {
            Assert.That(report.Batches, Is.EqualTo(batches));
            Assert.That(report.DeletedVersions, Is.EqualTo(5));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE id = ANY($1)", orphans.ToArray()), Is.Zero);
        });
    }

    [Test]
    public async Task A_dry_run_deletes_nothing_and_reports_exactly_what_the_real_run_then_deletes()
    {
        var stale = await h.PushPlatformAsync("demo/app", h.Old);
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        await h.PushIndexAsync("demo/app", "v1", h.Old, child);
        var young = await h.PushPlatformAsync("demo/app", h.Young);
        var nestedChild = await h.PushPlatformAsync("demo/other", h.Old);
        var nested = await h.PushIndexAsync("demo/other", null, h.Old, nestedChild);
        var before = await h.SnapshotAsync();

        var dry = await h.CleanupAsync(dryRun: true);
        var afterDry = await h.SnapshotAsync();
        var real = await h.CleanupAsync();

        var wouldDelete = dry.Candidates.Where(c => c.Decision == DanglingImageDecision.Delete).Select(c => c.VersionId);
        var deleted = real.Candidates.Where(c => c.Decision == DanglingImageDecision.Delete).Select(c => c.VersionId);
        Assert.Multiple(async () =>
        {
            Assert.That(afterDry, Is.EqualTo(before));
            Assert.That(dry.DryRun, Is.True);
            Assert.That(wouldDelete, Is.EquivalentTo(new[] { stale.VersionId, nestedChild.VersionId, nested.VersionId }));
            Assert.That(deleted, Is.EquivalentTo(wouldDelete));
            Assert.That((dry.DeletedVersions, dry.DeletedFiles, dry.DeletedProperties), Is.EqualTo((real.DeletedVersions, real.DeletedFiles, real.DeletedProperties)));
            Assert.That(await h.VersionExistsAsync(young.VersionId), Is.True);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE id = ANY($1)", wouldDelete.ToArray()), Is.Zero);
        });
    }

    [TestCase(500, 1)]
    [TestCase(7, 1)]
    [TestCase(500, 2)]
    [TestCase(7, 2)]
    public async Task A_registry_of_many_packages_is_cleaned_chunk_by_chunk_whatever_the_batch_size(int batchSize, int workers)
    {
        // More packages than one inventory chunk holds, each with a tag listing two children and one
        // orphan: every orphan goes, every child stays, and batches that span packages and chunks keep order.
        const int packages = 300;
        await h.ExecuteAsync(
            """
            INSERT INTO package (owner_id, type, name, lower_name)
            SELECT 1, 'container', 'many/img' || g, 'many/img' || g FROM generate_series(1, $1) g
            """, packages);
        await h.ExecuteAsync(
            """
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            SELECT p.id, d.digest, d.digest, $1, '{"type":"oci","is_tagged":false,"platform":"linux/amd64","layer_creation":["RUN make"]}'
            FROM package p
            CROSS JOIN LATERAL (SELECT 'sha256:' || encode(sha256((p.id || '-' || n)::text::bytea), 'hex') AS digest FROM generate_series(1, 3) n) d
            WHERE p.name LIKE 'many/%'
            """, h.Old);
        await h.ExecuteAsync(
            """
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            SELECT p.id, 'v1', 'v1', $1,
                   '{"type":"oci","is_tagged":true,"manifests":[{"digest":"sha256:' || encode(sha256((p.id || '-1')::text::bytea), 'hex') ||
                   '"},{"digest":"sha256:' || encode(sha256((p.id || '-2')::text::bytea), 'hex') || '"}]}'
            FROM package p WHERE p.name LIKE 'many/%'
            """, h.Old);

        var report = await h.CleanupAsync(batchSize: batchSize, workers: workers);

        Assert.Multiple(async () =>
        {
            Assert.That(report.ScannedVersions, Is.EqualTo(4 * packages));
            Assert.That(report.DeletedVersions, Is.EqualTo(packages));
            // Batches fill up across chunks; each worker's last may be partial.
            var full = (packages + batchSize - 1) / batchSize;
            Assert.That(report.Batches, Is.InRange(full, full + workers - 1));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE lower_version LIKE 'sha256:%'"), Is.EqualTo(2 * packages));
            Assert.That(await h.CountAsync(
                "SELECT count(*) FROM package_version v WHERE v.lower_version = 'sha256:' || encode(sha256((v.package_id || '-3')::text::bytea), 'hex')"), Is.Zero);
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    // The store leaves in the database the metadata that cannot name a digest; these must all be read.
    [TestCase("""{"type":"oci","manifests":[{"digest":"SHA256:{HEX}"}]}""", false, TestName = "Inventory_reads_an_index_naming_its_child_in_upper_case")]
    [TestCase("""{"type":"oci","manifest\u0073":[{"digest":"sha\u0032\u0035\u0036:{hex}"}]}""", false, TestName = "Inventory_reads_an_index_spelling_its_key_and_256_with_escapes")]
    [TestCase("""{"type":"oci","digest":"SHA256:{HEX}",}""", true, TestName = "Inventory_reads_damaged_text_naming_a_digest_without_manifests")]
    [TestCase("""{"type":"oci","manifests":[{"digest":"sha256\u003a{hex}"}]}""", false, TestName = "Inventory_reads_an_index_escaping_the_colon")]
    [TestCase("""{"type":"oci","manifest\u0073":[{"digest":"sha256:{hex}"}]}""", false, TestName = "Inventory_reads_an_index_escaping_its_key")]
    [TestCase("""  {"type":"oci","manifests":[{"digest":"sha256:{hex}"}]}  """, false, TestName = "Inventory_reads_an_index_padded_with_spaces")]
    [TestCase("""{"type":"oci","manifests":[{"digest":"sha256:{hex}""", true, TestName = "Inventory_reads_a_truncated_index_and_reports_it")]
    public async Task The_inventory_reads_every_metadata_that_may_name_a_digest(string template, bool malformed)
    {
        var package = await h.PackageAsync("demo/app");
        var hex = CleanupHarness.Digest("child")["sha256:".Length..];
        var child = await h.VersionAsync(package, "sha256:" + hex, h.Old, null);
        var index = await h.VersionAsync(package, "v1", h.Old,
            template.Replace("{hex}", hex, StringComparison.Ordinal).Replace("{HEX}", hex.ToUpperInvariant(), StringComparison.Ordinal));

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(child), Is.True);
            Assert.That(report.MalformedVersionIds, malformed ? Is.EqualTo(new[] { index }) : Is.Empty);
        });
    }

    [TestCase("""{"type":"oci","is_tagged":true,"manifests":[""", TestName = "Inventory_reports_a_truncated_index_that_lost_its_digests")]
    [TestCase("""{"type":"oci","is_tagged":true,"manifests":[}""", TestName = "Inventory_reports_a_damaged_index_that_lost_its_digests")]
    [TestCase("not json at all", TestName = "Inventory_reports_text_that_is_not_an_object")]
    [TestCase("""{"type":"oci","labels":{"a":"b""", TestName = "Inventory_reports_a_truncated_image_manifest")]
    public async Task The_inventory_reports_damaged_metadata_without_digests(string metadata)
    {
        var package = await h.PackageAsync("demo/app");
        var damaged = await h.VersionAsync(package, "v1", h.Old, metadata);

        var report = await h.CleanupAsync();

        Assert.That(report.MalformedVersionIds, Is.EqualTo(new[] { damaged }));
    }
}
