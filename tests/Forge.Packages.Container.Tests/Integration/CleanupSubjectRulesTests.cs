using Forge.Packages.Container.Cleanup;
using Forge.Packages.Container.Registry;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// The subject clauses of docs/cleanup.md against a real PostgreSQL, over referrers pushed through the registry's write
/// path (which records their subject): a referrer lives while its subject is kept, keeps nothing alive through it, and
/// once its subject is gone is judged by its own age; and cosign's referrer tags with RemoveOrphanedReferrerTags.
/// </summary>
[NonParallelizable]
public sealed class CleanupSubjectRulesTests
{
    private static readonly string[] Suffixes = ["sig", "att", "sbom"];

    private CleanupHarness h = null!;

    [SetUp]
    public async Task CreateWorld() => h = await CleanupHarness.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await h.DisposeAsync();

    [Test]
    public async Task A_signature_of_a_tagged_image_found_by_the_tags_manifest_digest_is_kept_while_the_tag_is()
    {
        // cosign signs image:tag by the digest of the tag's manifest; an image pushed by tag alone has no digest version.
        var image = await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var signature = await h.PushReferrerAsync("demo/app", h.Old, image.Digest);

        var report = await h.CleanupAsync(TimeSpan.Zero);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(signature.VersionId), Is.True);
            Assert.That(report.SubjectAliveVersions, Is.EqualTo(1));
            Assert.That(report.Candidates.Single().Decision, Is.EqualTo(DanglingImageDecision.SubjectAlive));
            Assert.That(report.Candidates.Single().Subject, Is.EqualTo(image.Digest));
            Assert.That(report.DeletedVersions, Is.Zero);
        });
    }

    [TestCase("deleted", TestName = "A_signature_goes_once_its_tag_is_deleted_and_it_is_older_than_the_window")]
    [TestCase("re-pushed", TestName = "A_signature_goes_once_its_tag_is_pushed_again_with_other_content")]
    public async Task A_signature_of_a_tag_becomes_an_orphan_when_the_tag_no_longer_has_its_manifest(string what)
    {
        var image = await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var signature = await h.PushReferrerAsync("demo/app", h.Old, image.Digest);
        if (what == "deleted")
        {
            await h.ExecuteAsync("DELETE FROM package_version WHERE id = $1", image.VersionId);
        }
        else
        {
            await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        }

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(signature.VersionId), Is.False);
            Assert.That(report.DeletedOrphanedReferrers, Is.EqualTo(1));
            Assert.That(report.Candidates.Single(c => c.VersionId == signature.VersionId).Kind, Is.EqualTo(DanglingImageCandidateKind.Referrer));
        });
    }

    [Test]
    public async Task A_signature_of_a_young_digest_version_is_kept()
    {
        var image = await h.PushPlatformAsync("demo/app", h.Young);
        var signature = await h.PushReferrerAsync("demo/app", h.Old, image.Digest);

        await AssertKeptForItsSubjectAsync(await h.CleanupAsync(), signature);
    }

    [Test]
    public async Task A_signature_of_a_platform_manifest_a_tag_lists_is_kept()
    {
        var platform = await h.PushPlatformAsync("demo/app", h.Old);
        await h.PushIndexAsync("demo/app", "v1", h.Old, platform);
        var signature = await h.PushReferrerAsync("demo/app", h.Old, platform.Digest);

        await h.CleanupAsync(TimeSpan.Zero);

        Assert.That(await h.VersionExistsAsync(signature.VersionId), Is.True);
    }

    [Test]
    public async Task An_sbom_of_a_doomed_indexs_child_is_deleted_with_it_and_nothing_is_left_naming_a_missing_version()
    {
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        var index = await h.PushIndexAsync("demo/app", null, h.Old, child);
        var sbom = await h.PushReferrerAsync("demo/app", h.Old, child.Digest);

        var report = await h.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(report.DeletedVersions, Is.EqualTo(3));
            Assert.That(report.DeletedOrphanedReferrers, Is.EqualTo(1));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE id = ANY($1)", new[] { child.VersionId, index.VersionId, sbom.VersionId }), Is.Zero);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_property WHERE name = $1", ContainerLayout.SubjectProperty), Is.Zero);
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [TestCase(true, TestName = "Signatures_of_signatures_three_deep_stay_while_the_image_is_tagged")]
    [TestCase(false, TestName = "Signatures_of_signatures_three_deep_go_once_the_image_is_gone")]
    public async Task Signatures_of_signatures(bool tagged)
    {
        var image = await h.PushPlatformAsync("demo/app", h.Old, tag: tagged ? "v1" : null);
        var first = await h.PushReferrerAsync("demo/app", h.Old, image.Digest);
        var second = await h.PushReferrerAsync("demo/app", h.Old, first.Digest);
        var third = await h.PushReferrerAsync("demo/app", h.Old, second.Digest);

        var report = await h.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE id = ANY($1)", new[] { first.VersionId, second.VersionId, third.VersionId }),
                Is.EqualTo(tagged ? 3 : 0));
            Assert.That(report.SubjectAliveVersions, Is.EqualTo(tagged ? 3 : 0));
            Assert.That(report.DeletedVersions, Is.EqualTo(tagged ? 0 : 4), "the image's digest version too");
        });
    }

    [TestCase(false, TestName = "Two_old_referrers_that_name_each_other_as_subject_go_together")]
    [TestCase(true, TestName = "Two_referrers_that_name_each_other_stay_while_one_is_young")]
    public async Task A_cycle_of_subjects(bool oneYoung)
    {
        // Only another tool (or damage) writes such properties: content cannot name a digest that names it.
        var package = await h.PackageAsync("demo/app");
        var a = CleanupHarness.Digest("a");
        var b = CleanupHarness.Digest("b");
        var first = await h.VersionAsync(package, a, oneYoung ? h.Young : h.Old, "{\"type\":\"oci\"}");
        var second = await h.VersionAsync(package, b, h.Old, "{\"type\":\"oci\"}");
        await h.PropertyAsync(0, first, ContainerLayout.SubjectProperty, b);
        await h.PropertyAsync(0, second, ContainerLayout.SubjectProperty, a);

        var report = await h.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(first), Is.EqualTo(oneYoung));
            Assert.That(await h.VersionExistsAsync(second), Is.EqualTo(oneYoung));
            Assert.That(report.Batches, Is.EqualTo(oneYoung ? 0 : 1), "a cycle is one unit, never split");
        });
    }

    [Test]
    public async Task A_subject_in_another_package_does_not_keep_a_signature()
    {
        var image = await h.PushPlatformAsync("demo/other", h.Old, tag: "v1");
        await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var signature = await h.PushReferrerAsync("demo/app", h.Old, image.Digest);

        await h.CleanupAsync();

        Assert.That(await h.VersionExistsAsync(signature.VersionId), Is.False);
    }

    [TestCase(false, true, TestName = "An_orphan_signature_younger_than_the_window_is_kept")]
    [TestCase(true, false, TestName = "An_orphan_signature_older_than_the_window_is_deleted")]
    public async Task An_orphan_signature_is_judged_by_its_own_age(bool old, bool kept)
    {
        var signature = await h.PushReferrerAsync("demo/app", old ? h.Old : h.Young, CleanupHarness.Digest("never pushed"));

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(signature.VersionId), Is.EqualTo(kept));
            Assert.That(report.Candidates.Single().Decision, Is.EqualTo(kept ? DanglingImageDecision.TooYoung : DanglingImageDecision.Delete));
        });
    }

    [Test]
    public async Task A_signature_does_not_keep_its_subject_alive()
    {
        var image = await h.PushPlatformAsync("demo/app", h.Old);
        var signature = await h.PushReferrerAsync("demo/app", h.Young, image.Digest);

        await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(image.VersionId), Is.False);
            Assert.That(await h.VersionExistsAsync(signature.VersionId), Is.True, "young: judged by its own age now");
        });
    }

    [TestCase("", TestName = "An_empty_subject_property_is_harmless_against_the_database")]
    [TestCase("not a digest", TestName = "A_subject_property_that_is_no_digest_is_harmless_against_the_database")]
    [TestCase(null, TestName = "A_digest_version_without_a_subject_property_is_judged_as_before")]
    public async Task Malformed_or_absent_subject_properties_keep_nothing_and_condemn_nothing(string? value)
    {
        var image = await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var child = await h.PushPlatformAsync("demo/app", h.Old);
        await h.PushIndexAsync("demo/app", "all", h.Old, child);
        var odd = await h.PushPlatformAsync("demo/app", h.Old);
        var young = await h.PushPlatformAsync("demo/app", h.Young);
        if (value is not null)
        {
            foreach (var version in new[] { image.VersionId, child.VersionId, odd.VersionId, young.VersionId })
            {
                await h.PropertyAsync(0, version, ContainerLayout.SubjectProperty, value);
            }
        }

        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.Candidates.Select(c => (c.VersionId, c.Decision)), Is.EquivalentTo(new[]
            {
                (odd.VersionId, DanglingImageDecision.Delete), (young.VersionId, DanglingImageDecision.TooYoung),
            }));
            Assert.That(await h.VersionExistsAsync(child.VersionId), Is.True);
            Assert.That(await h.VersionExistsAsync(image.VersionId), Is.True);
        });
    }

    [TestCase("subject", TestName = "A_subject_property_written_in_upper_case_by_another_tool_still_keeps_its_referrer")]
    [TestCase("manifest digest", TestName = "A_manifest_digest_property_in_upper_case_still_resolves_a_subject")]
    [TestCase("digest version", TestName = "A_digest_version_named_in_upper_case_still_resolves_a_subject")]
    public async Task Subject_digests_compare_case_insensitively_against_the_database(string upper)
    {
        // A tag, or (to test its name) a young digest version: either keeps its referrers.
        var image = upper == "digest version" ? await h.PushPlatformAsync("demo/app", h.Young) : await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var signature = await h.PushReferrerAsync("demo/app", h.Old, image.Digest);
        switch (upper)
        {
            case "subject":
                await h.ExecuteAsync("UPDATE package_property SET value = upper(value) WHERE ref_id = $1 AND name = $2", signature.VersionId, ContainerLayout.SubjectProperty);
                break;
            case "manifest digest":
                await h.ExecuteAsync(
                    "UPDATE package_property SET value = upper(value) WHERE ref_type = 1 AND name = $2 AND ref_id IN (SELECT id FROM package_file WHERE version_id = $1)",
                    image.VersionId, ContainerLayout.DigestProperty);
                break;
            default:
                await h.ExecuteAsync("UPDATE package_version SET lower_version = 'sha256:' || upper(substr(lower_version, 8)) WHERE id = $1", image.VersionId);
                break;
        }

        await AssertKeptForItsSubjectAsync(await h.CleanupAsync(), signature);
    }

    [Test]
    public async Task A_dry_run_with_referrers_reports_exactly_what_the_real_run_then_deletes()
    {
        var tagged = await h.PushPlatformAsync("demo/app", h.Old, tag: "v1");
        var kept = await h.PushReferrerAsync("demo/app", h.Old, tagged.Digest);
        var stale = await h.PushPlatformAsync("demo/app", h.Old);
        var staleSbom = await h.PushReferrerAsync("demo/app", h.Old, stale.Digest);
        var orphan = await h.PushReferrerAsync("demo/app", h.Old, CleanupHarness.Digest("gone"));
        var before = await h.SnapshotAsync();

        var dry = await h.CleanupAsync(dryRun: true, batchSize: 1);
        var afterDry = await h.SnapshotAsync();
        var real = await h.CleanupAsync(batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(afterDry, Is.EqualTo(before));
            Assert.That(dry.Candidates.Where(c => c.Decision == DanglingImageDecision.Delete).Select(c => c.VersionId),
                Is.EquivalentTo(new[] { stale.VersionId, staleSbom.VersionId, orphan.VersionId }));
            Assert.That((dry.DeletedVersions, dry.DeletedOrphanedReferrers, dry.DeletedFiles, dry.DeletedProperties),
                Is.EqualTo((real.DeletedVersions, real.DeletedOrphanedReferrers, real.DeletedFiles, real.DeletedProperties)));
            Assert.That(real.DeletedOrphanedReferrers, Is.EqualTo(2));
            Assert.That(await h.VersionExistsAsync(kept.VersionId), Is.True);
        });
    }

    private async Task AssertKeptForItsSubjectAsync(DanglingImageCleanupReport report, PushedManifest referrer)
    {
        Assert.That(await h.VersionExistsAsync(referrer.VersionId), Is.True);
        Assert.That(report.Candidates.Single(c => c.VersionId == referrer.VersionId).Decision, Is.EqualTo(DanglingImageDecision.SubjectAlive));
    }

    [TestCase(false, true, TestName = "With_the_setting_off_an_old_referrer_tag_of_nothing_stays_a_root")]
    [TestCase(true, false, TestName = "With_the_setting_on_an_old_referrer_tag_of_nothing_is_removed_with_its_files")]
    public async Task An_orphaned_referrer_tag(bool removeOrphanedReferrerTags, bool kept)
    {
        var gone = CleanupHarness.Digest("deleted image");
        var tags = new List<long>();
        foreach (var suffix in Suffixes)
        {
            tags.Add((await h.PushPlatformAsync("demo/app", h.Old, tag: CleanupHarness.ReferrerTag(gone, suffix))).VersionId);
        }

        var report = await h.CleanupAsync(removeOrphanedReferrerTags: removeOrphanedReferrerTags);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version WHERE id = ANY($1)", tags.ToArray()), Is.EqualTo(kept ? 3 : 0));
            Assert.That(report.DeletedOrphanedReferrerTags, Is.EqualTo(kept ? 0 : 3));
            Assert.That(report.DeletedFiles, Is.EqualTo(kept ? 0 : 9), "config, layer and manifest.json of each");
            Assert.That(await h.BrokenReferencesAsync(), Is.Empty);
        });
    }

    [TestCase("tag", TestName = "A_referrer_tag_of_a_tags_manifest_stays_with_the_setting_on")]
    [TestCase("digest", TestName = "A_referrer_tag_of_a_digest_version_that_is_kept_stays_with_the_setting_on")]
    [TestCase("young", TestName = "A_young_referrer_tag_of_nothing_stays_with_the_setting_on")]
    public async Task A_referrer_tag_that_is_not_orphaned_stays(string why)
    {
        var subject = why switch
        {
            "tag" => (await h.PushPlatformAsync("demo/app", h.Old, tag: "v1")).Digest,
            "digest" => (await h.PushPlatformAsync("demo/app", h.Young)).Digest,
            _ => CleanupHarness.Digest("never pushed"),
        };
        var tag = await h.PushPlatformAsync("demo/app", why == "young" ? h.Young : h.Old, tag: CleanupHarness.ReferrerTag(subject));

        var report = await h.CleanupAsync(removeOrphanedReferrerTags: true);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(tag.VersionId), Is.True);
            Assert.That(report.Candidates.Single(c => c.VersionId == tag.VersionId).Decision,
                Is.EqualTo(why == "young" ? DanglingImageDecision.TooYoung : DanglingImageDecision.SubjectAlive));
        });
    }

    [Test]
    public async Task A_referrer_tag_of_a_doomed_digest_version_goes_with_it_when_the_setting_is_on()
    {
        var image = await h.PushPlatformAsync("demo/app", h.Old);
        var tag = await h.PushPlatformAsync("demo/app", h.Old, tag: CleanupHarness.ReferrerTag(image.Digest, "att"));

        var report = await h.CleanupAsync(removeOrphanedReferrerTags: true, batchSize: 1);

        Assert.Multiple(async () =>
        {
            Assert.That(await h.VersionExistsAsync(image.VersionId), Is.False);
            Assert.That(await h.VersionExistsAsync(tag.VersionId), Is.False);
            Assert.That(report.DeletedOrphanedReferrerTags, Is.EqualTo(1));
        });
    }
}
