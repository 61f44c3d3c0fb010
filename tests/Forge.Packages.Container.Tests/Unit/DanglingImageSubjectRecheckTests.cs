using Forge.Packages.Container.Cleanup;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;
using static Forge.Packages.Container.Tests.Unit.Digests;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>
/// Rule 8 for subjects, as the cleanup carries it out over its store: a batch spares a doomed referrer whose subject
/// is, after the lock, a version outside the doomed set; and what a run counts and reports of referrers.
/// </summary>
public sealed class DanglingImageSubjectRecheckTests : CleanupFixture
{
    private static readonly string Image = Of("image");
    private static readonly string Signature = Of("signature");

    [Test]
    public async Task A_referrer_whose_subject_is_pushed_by_tag_during_the_run_is_spared()
    {
        var signature = Harness.Image.Referrer(Signature, Old, Image);
        var orphan = Harness.Image.Manifest(Amd64, Old);
        Harness.PushSubjectMeanwhile("v1", Image);

        var report = await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.EqualTo(new[] { orphan }));
        Assert.That(report.Candidates.Single(c => c.VersionId == signature).Decision, Is.EqualTo(DanglingImageDecision.Spared));
        Assert.That(report.SparedVersions, Is.EqualTo(1));
    }

    [Test]
    public async Task A_referrer_whose_subject_is_pushed_by_digest_during_the_run_is_spared()
    {
        Harness.Image.Referrer(Signature, Old, Image);
        Harness.PushMeanwhile(Image, Metadata.Image());

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.Empty);
    }

    [Test]
    public async Task A_subject_pushed_during_the_run_spares_a_chain_of_signatures_in_later_batches()
    {
        var first = Harness.Image.Referrer(Of("sig 1"), Old, Image);
        var second = Harness.Image.Referrer(Of("sig 2"), Old, Of("sig 1"));
        var third = Harness.Image.Referrer(Of("sig 3"), Old, Of("sig 2"));
        Harness.PushSubjectMeanwhile("v1", Image);

        var report = await Harness.RunAsync(batchSize: 1);

        // sig 3's batch comes first: it looks up the chain of subjects, finds the image under sig 1, and keeps all three.
        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(Harness.BatchCalls.Select(c => c.Ids), Is.EqualTo(new[] { new[] { third } }));
        Assert.That(report.Candidates.Where(c => c.Decision == DanglingImageDecision.Spared).Select(c => c.VersionId), Is.EquivalentTo(new[] { first, second, third }));
    }

    [Test]
    public async Task A_subject_pushed_during_the_run_spares_a_chain_of_signatures_in_one_batch()
    {
        Harness.Image.Referrer(Of("sig 1"), Old, Image);
        Harness.Image.Referrer(Of("sig 2"), Old, Of("sig 1"));
        Harness.Image.Referrer(Of("sig 3"), Old, Of("sig 2"));
        Harness.PushSubjectMeanwhile("v1", Image);

        var report = await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(report.SparedVersions, Is.EqualTo(3));
    }

    [Test]
    public async Task Sparing_a_subject_spares_its_doomed_referrers_in_the_same_batch()
    {
        var subject = Harness.Image.Manifest(Image, Old);
        var signature = Harness.Image.Referrer(Signature, Old, Image);
        Harness.PushMeanwhile("v1", Metadata.Index(Image));

        var report = await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(report.Candidates.Select(c => (c.VersionId, c.Decision)), Is.EquivalentTo(new[]
        {
            (subject, DanglingImageDecision.Spared), (signature, DanglingImageDecision.Spared),
        }));
    }

    [Test]
    public async Task A_referrer_whose_subject_is_spared_only_in_a_later_batch_has_gone_already_and_is_not_reported_spared()
    {
        // The referrer's batch comes first, when its subject is still doomed; the subject is kept only in its own
        // batch, through an index that names the doomed index above it: the re-check looks one step, not the whole graph.
        var subject = Harness.Image.Manifest(Image, Old);
        var index = Harness.Image.Index(InnerIndex, Old, Image);
        var signature = Harness.Image.Referrer(Signature, Old, Image);
        Harness.PushMeanwhile("v1", Metadata.Index(InnerIndex));

        var report = await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.Committed, Is.EqualTo(new[] { signature }));
        Assert.That(report.Candidates.Select(c => (c.VersionId, c.Decision)), Is.EquivalentTo(new[]
        {
            (subject, DanglingImageDecision.Spared), (index, DanglingImageDecision.Spared), (signature, DanglingImageDecision.Delete),
        }));
        Assert.That(report.SparedVersions, Is.EqualTo(2));
    }

    [Test]
    public async Task A_referrer_whose_doomed_subject_was_pushed_again_is_spared_though_its_batch_comes_first()
    {
        var subject = Harness.Image.Manifest(Image, Old);
        var signature = Harness.Image.Referrer(Signature, Old, Image);
        Harness.RepushMeanwhile(subject);

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(Harness.BatchCalls.First().Ids, Is.EqualTo(new[] { signature }));
    }

    [Test]
    public async Task A_referrer_whose_subject_is_still_doomed_goes_and_then_its_subject()
    {
        var subject = Harness.Image.Manifest(Image, Old);
        var signature = Harness.Image.Referrer(Signature, Old, Image);

        await Harness.RunAsync(batchSize: 1);

        Assert.That(Harness.Committed, Is.EqualTo(new[] { signature, subject }));
    }

    [Test]
    public async Task A_new_referrer_of_a_doomed_version_does_not_spare_it()
    {
        var subject = Harness.Image.Manifest(Image, Old);
        Harness.PushMeanwhile(Signature, Metadata.Image());

        await Harness.RunAsync();

        Assert.That(Harness.Committed, Is.EqualTo(new[] { subject }));
    }

    [Test]
    public async Task The_batch_asks_for_the_subjects_of_its_referrers_only()
    {
        Harness.Image.Referrer(Signature, Old, Image);
        Harness.Image.Manifest(Amd64, Old);

        await Harness.RunAsync();

        var asked = Harness.BatchCalls.Single().Batch.Invocations.Where(i => i.Method.Name == nameof(IDanglingImageBatch.FindSubjectHoldersAsync)).ToList();
        Assert.That(asked, Has.Count.EqualTo(1));
        Assert.That(asked[0].Arguments[0], Is.EquivalentTo(new[] { (1L, Image) }));
    }

    [Test]
    public async Task A_batch_without_referrers_does_not_look_for_subjects()
    {
        Harness.Image.Manifest(Amd64, Old);

        await Harness.RunAsync();

        Assert.That(Harness.BatchCalls.Single().Batch.Invocations.Select(i => i.Method.Name), Does.Not.Contain(nameof(IDanglingImageBatch.FindSubjectHoldersAsync)));
    }

    [Test]
    public async Task A_referrer_tag_is_no_root_to_the_recheck_and_is_deleted()
    {
        var tag = Harness.Image.Tag($"sha256-{Image["sha256:".Length..]}.sig", Old);

        var report = await Harness.RunAsync(removeOrphanedReferrerTags: true);

        Assert.That(Harness.Committed, Is.EqualTo(new[] { tag }));
        Assert.That(report.DeletedOrphanedReferrerTags, Is.EqualTo(1));
        Assert.That(report.SparedVersions, Is.Zero);
    }

    [Test]
    public async Task A_referrer_tag_whose_subject_is_pushed_during_the_run_is_spared()
    {
        Harness.Image.Tag($"sha256-{Image["sha256:".Length..]}.att", Old);
        Harness.PushSubjectMeanwhile("v1", Image);

        var report = await Harness.RunAsync(removeOrphanedReferrerTags: true);

        Assert.That(Harness.Committed, Is.Empty);
        Assert.That(report.SparedVersions, Is.EqualTo(1));
    }

    [Test]
    public async Task The_report_counts_referrers_kept_for_their_subject_and_deleted_referrers_apart()
    {
        Harness.Image.TaggedImage("v1", Image, Old);
        var kept = Harness.Image.Referrer(Signature, Old, Image);
        var orphan = Harness.Image.Referrer(Of("orphan"), Old, Of("gone"));
        var plain = Harness.Image.Manifest(Amd64, Old);
        var tag = Harness.Image.Tag($"sha256-{Of("gone")["sha256:".Length..]}.sbom", Old);

        var report = await Harness.RunAsync(removeOrphanedReferrerTags: true);

        Assert.That(Harness.Committed, Is.EquivalentTo(new[] { orphan, plain, tag }));
        Assert.That(report.SubjectAliveVersions, Is.EqualTo(1));
        Assert.That(report.DeletedVersions, Is.EqualTo(3));
        Assert.That(report.DeletedOrphanedReferrers, Is.EqualTo(1));
        Assert.That(report.DeletedOrphanedReferrerTags, Is.EqualTo(1));
        Assert.That(report.Candidates.Select(c => (c.VersionId, c.Kind, c.Subject, c.Decision)), Is.EquivalentTo(new[]
        {
            (kept, DanglingImageCandidateKind.Referrer, Image, DanglingImageDecision.SubjectAlive),
            (orphan, DanglingImageCandidateKind.Referrer, Of("gone"), DanglingImageDecision.Delete),
            (plain, DanglingImageCandidateKind.Digest, null, DanglingImageDecision.Delete),
            (tag, DanglingImageCandidateKind.ReferrerTag, Of("gone"), DanglingImageDecision.Delete),
        }));
        Assert.That(report.Summary(), Does.StartWith("deleted 3 version(s) (orphaned referrers 1, referrer tags 1)"));
        Assert.That(report.Summary(), Does.Contain("subject alive 1"));
    }

    [Test]
    public async Task A_dry_run_counts_the_referrers_it_would_delete()
    {
        Harness.Image.Referrer(Signature, Old, Image);
        Harness.Image.Manifest(Amd64, Old);

        var report = await Harness.RunAsync(dryRun: true);

        Assert.That(report.DeletedVersions, Is.EqualTo(2));
        Assert.That(report.DeletedOrphanedReferrers, Is.EqualTo(1));
        Assert.That(Harness.Committed, Is.Empty);
    }

    [Test]
    public async Task The_json_report_names_each_candidates_kind_and_subject()
    {
        Harness.Image.Referrer(Signature, Old, Image);

        var json = (await Harness.RunAsync()).ToJson();

        Assert.That(json, Does.Contain($"\"kind\":\"referrer\",\"subject\":\"{Image}\""));
        Assert.That(json, Does.Contain("\"subjectAliveVersions\":0"));
        Assert.That(json, Does.Contain("\"deletedOrphanedReferrers\":1"));
        Assert.That(json, Does.Contain("\"deletedOrphanedReferrerTags\":0"));
    }
}
