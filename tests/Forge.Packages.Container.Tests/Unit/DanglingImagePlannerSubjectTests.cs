using Forge.Packages.Container.Cleanup;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;
using static Forge.Packages.Container.Tests.Unit.Digests;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>
/// How the planner judges referrers (docs/cleanup.md, "Subject and referrers"): a referrer lives while its subject is
/// kept, keeps nothing alive through its subject, and once its subject is gone is judged by its own age.
/// </summary>
public sealed class DanglingImagePlannerSubjectTests
{
    private static readonly string Image = Of("image");
    private static readonly string Signature = Of("signature");
    private static readonly string Sbom = Of("sbom");
    private static readonly string[] Suffixes = ["sig", "att", "sbom"];

    private ContainerInventory inventory = null!;
    private ImageRepository image = null!;

    [SetUp]
    public void CreateInventory()
    {
        inventory = new ContainerInventory();
        image = inventory.Image(1);
    }

    // The subject is a version the cleanup keeps, in each of the ways one is kept.
    [TestCase("tag", DanglingImageDecision.SubjectAlive, TestName = "A_referrer_of_a_tagged_image_is_kept_as_subject_alive")]
    [TestCase("listed by a tag", DanglingImageDecision.SubjectAlive, TestName = "A_referrer_of_a_platform_manifest_a_tag_lists_is_kept")]
    [TestCase("young digest", DanglingImageDecision.SubjectAlive, TestName = "A_referrer_of_a_young_digest_version_is_kept")]
    [TestCase("listed by a young index", DanglingImageDecision.SubjectAlive, TestName = "A_referrer_of_a_manifest_a_young_index_lists_is_kept")]
    [TestCase("old digest", DanglingImageDecision.Delete, TestName = "A_referrer_of_a_doomed_digest_version_is_doomed")]
    [TestCase("absent", DanglingImageDecision.Delete, TestName = "A_referrer_whose_subject_is_gone_and_that_is_old_is_doomed")]
    public void A_referrer_lives_as_long_as_its_subject_is_kept(string subject, DanglingImageDecision expected)
    {
        switch (subject)
        {
            case "tag":
                image.TaggedImage("v1", Image, Old);
                break;
            case "listed by a tag":
                image.Manifest(Image, Old);
                image.Tag("v1", Old, Image);
                break;
            case "young digest":
                image.Manifest(Image, Young);
                break;
            case "listed by a young index":
                image.Manifest(Image, Old);
                image.Index(InnerIndex, Young, Image);
                break;
            case "old digest":
                image.Manifest(Image, Old);
                break;
        }

        var signature = image.Referrer(Signature, Old, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(signature), Is.EqualTo(expected));
        Assert.That(plan.Doomed().Contains(signature), Is.EqualTo(expected == DanglingImageDecision.Delete));
    }

    [TestCase(Old, DanglingImageDecision.Delete, TestName = "An_orphan_referrer_older_than_the_window_is_doomed")]
    [TestCase(Young, DanglingImageDecision.TooYoung, TestName = "An_orphan_referrer_younger_than_the_window_is_kept_as_too_young")]
    [TestCase(Cutoff, DanglingImageDecision.TooYoung, TestName = "An_orphan_referrer_created_at_the_cutoff_is_kept")]
    [TestCase(Cutoff - 1, DanglingImageDecision.Delete, TestName = "An_orphan_referrer_one_second_older_than_the_cutoff_is_doomed")]
    public void An_orphan_referrer_is_judged_by_its_own_age(long createdUnix, DanglingImageDecision expected)
    {
        var signature = image.Referrer(Signature, createdUnix, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(signature), Is.EqualTo(expected));
    }

    [Test]
    public void A_referrer_does_not_keep_its_subject_alive()
    {
        var subject = image.Manifest(Image, Old);
        var signature = image.Referrer(Signature, Young, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(subject), Is.EqualTo(DanglingImageDecision.Delete));
        Assert.That(plan.DecisionFor(signature), Is.EqualTo(DanglingImageDecision.TooYoung));
    }

    [Test]
    public void A_subject_resolves_to_a_tag_whose_manifest_has_its_digest_while_the_tag_has_another_name()
    {
        image.TaggedImage("latest", Image, Old);
        var signature = image.Referrer(Signature, Old, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(signature), Is.EqualTo(DanglingImageDecision.SubjectAlive));
        Assert.That(plan.Candidates.Single().Kind, Is.EqualTo(DanglingImageCandidateKind.Referrer));
        Assert.That(plan.Candidates.Single().Subjects, Is.EqualTo(new[] { Image }));
    }

    [Test]
    public void A_tag_without_the_subjects_manifest_keeps_no_referrer()
    {
        image.TaggedImage("v1", Of("other content"), Old);
        var signature = image.Referrer(Signature, Old, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(signature), Is.EqualTo(DanglingImageDecision.Delete));
    }

    [Test]
    public void A_referrer_of_a_doomed_indexs_child_is_doomed_and_goes_before_its_subject()
    {
        var child = image.Manifest(Amd64, Old);
        var index = image.Index(InnerIndex, Old, Amd64);
        var sbom = image.Referrer(Sbom, Old, Amd64);

        var plan = inventory.Plan();

        Assert.That(plan.Doomed(), Is.EquivalentTo(new[] { child, index, sbom }));
        Assert.That(plan.UnitOf(sbom), Is.LessThan(plan.UnitOf(child)));
        Assert.That(plan.UnitOf(index), Is.LessThan(plan.UnitOf(child)));
    }

    [Test]
    public void A_referrer_goes_before_its_subject_whatever_their_ids()
    {
        // The referrer first, the subject after: id order cannot pass for deletion order.
        var signature = image.Referrer(Signature, Old, Image);
        var subject = image.Manifest(Image, Old);

        var plan = inventory.Plan();

        Assert.That(plan.UnitOf(signature), Is.LessThan(plan.UnitOf(subject)));
    }

    [TestCase(true, TestName = "Signatures_of_signatures_three_deep_are_kept_while_the_tag_is")]
    [TestCase(false, TestName = "Signatures_of_signatures_three_deep_are_doomed_once_the_image_is_gone_and_go_from_the_top_down")]
    public void A_signature_of_a_signature_lives_as_long_as_the_chain_reaches_a_kept_subject(bool tagged)
    {
        if (tagged)
        {
            image.TaggedImage("v1", Image, Old);
        }

        var first = image.Referrer(Of("sig 1"), Old, Image);
        var second = image.Referrer(Of("sig 2"), Old, Of("sig 1"));
        var third = image.Referrer(Of("sig 3"), Old, Of("sig 2"));

        var plan = inventory.Plan();

        var expected = tagged ? DanglingImageDecision.SubjectAlive : DanglingImageDecision.Delete;
        Assert.That(new[] { first, second, third }.Select(plan.DecisionFor), Is.All.EqualTo(expected));
        if (!tagged)
        {
            Assert.That(plan.UnitOf(third), Is.LessThan(plan.UnitOf(second)));
            Assert.That(plan.UnitOf(second), Is.LessThan(plan.UnitOf(first)));
        }
    }

    [Test]
    public void A_chain_of_signatures_is_kept_from_a_young_link_down_but_not_above_an_old_one()
    {
        // sig 1 is young: it keeps sig 2 and sig 3 (their subjects chain up to it); its own subject is gone.
        var first = image.Referrer(Of("sig 1"), Young, Image);
        var second = image.Referrer(Of("sig 2"), Old, Of("sig 1"));
        var third = image.Referrer(Of("sig 3"), Old, Of("sig 2"));

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(first), Is.EqualTo(DanglingImageDecision.TooYoung));
        Assert.That(plan.DecisionFor(second), Is.EqualTo(DanglingImageDecision.SubjectAlive));
        Assert.That(plan.DecisionFor(third), Is.EqualTo(DanglingImageDecision.SubjectAlive));
    }

    [TestCase(false, TestName = "A_cycle_of_old_referrers_is_one_deletion_unit")]
    [TestCase(true, TestName = "A_cycle_of_referrers_with_a_young_member_is_kept_whole")]
    public void Referrers_that_name_each_other_as_subject(bool oneYoung)
    {
        var first = image.Referrer(Of("a"), oneYoung ? Young : Old, Of("b"));
        var second = image.Referrer(Of("b"), Old, Of("a"));

        var plan = inventory.Plan();

        if (oneYoung)
        {
            Assert.That(plan.DecisionFor(second), Is.EqualTo(DanglingImageDecision.SubjectAlive));
            Assert.That(plan.Doomed(), Is.Empty);
        }
        else
        {
            Assert.That(plan.DeletionUnits, Has.Count.EqualTo(1));
            Assert.That(plan.DeletionUnits[0], Is.EquivalentTo(new[] { first, second }));
        }
    }

    [Test]
    public void A_referrer_that_names_itself_as_subject_keeps_nothing_and_is_doomed()
    {
        var self = image.Referrer(Signature, Old, Signature);

        var plan = inventory.Plan();

        Assert.That(plan.DeletionUnits, Is.EqualTo(new[] { new[] { self } }));
    }

    [Test]
    public void A_subject_in_another_package_does_not_count()
    {
        inventory.Image(2, "owner/other").TaggedImage("v1", Image, Old);
        inventory.Image(2, "owner/other").Manifest(Image, Young);
        var signature = image.Referrer(Signature, Old, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(signature), Is.EqualTo(DanglingImageDecision.Delete));
    }

    [Test]
    public void The_entries_of_a_referrer_that_is_an_index_live_with_it()
    {
        // An attestation pushed as an index of two manifests, naming a tagged image as its subject.
        image.TaggedImage("v1", Image, Old);
        var attestation = image.Index(OuterIndex, Old, Amd64, Arm64);
        inventory.AddSubjectProperty(attestation, Image);
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);

        var plan = inventory.Plan();

        Assert.That(new[] { attestation, amd64, arm64 }.Select(plan.DecisionFor), Is.All.EqualTo(DanglingImageDecision.SubjectAlive));
    }

    [TestCase("", TestName = "An_empty_subject_property_is_harmless")]
    [TestCase("   ", TestName = "A_blank_subject_property_is_harmless")]
    [TestCase("not a digest", TestName = "A_subject_property_that_is_not_a_digest_is_harmless")]
    [TestCase("sha256:abc", TestName = "A_subject_property_with_a_short_digest_is_harmless")]
    [TestCase("{\"digest\":", TestName = "A_damaged_subject_property_is_harmless")]
    public void A_malformed_subject_property_keeps_nothing_and_condemns_nothing(string value)
    {
        image.TaggedImage("v1", Image, Old);
        var kept = image.Manifest(Amd64, Old);
        image.Tag("v2", Old, Amd64);
        var odd = image.Manifest(Signature, Old);
        inventory.AddSubjectProperty(odd, value);
        var youngOdd = image.Manifest(Sbom, Young);
        inventory.AddSubjectProperty(youngOdd, value);

        Assert.That(() => inventory.Plan(), Throws.Nothing);
        var plan = inventory.Plan();
        Assert.That(plan.DecisionFor(kept), Is.Null, "a listed manifest stays listed");
        Assert.That(plan.DecisionFor(odd), Is.EqualTo(DanglingImageDecision.Delete), "judged by its own age");
        Assert.That(plan.DecisionFor(youngOdd), Is.EqualTo(DanglingImageDecision.TooYoung));
    }

    [Test]
    public void A_version_without_a_subject_property_is_no_referrer()
    {
        image.TaggedImage("v1", Image, Old);
        var plain = image.Manifest(Signature, Old);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(plain), Is.EqualTo(DanglingImageDecision.Delete));
        Assert.That(plan.Candidates.Single().Kind, Is.EqualTo(DanglingImageCandidateKind.Digest));
    }

    [Test]
    public void A_subject_property_of_a_version_not_in_the_inventory_is_ignored()
    {
        image.Manifest(Image, Old);
        inventory.AddSubjectProperty(999, Image);

        Assert.That(() => inventory.Plan(), Throws.Nothing);
    }

    [TestCase("subject", TestName = "A_subject_property_in_upper_case_resolves")]
    [TestCase("tag manifest", TestName = "A_tags_manifest_digest_in_upper_case_resolves")]
    [TestCase("digest version", TestName = "A_digest_version_named_in_upper_case_resolves")]
    public void Subject_digests_compare_case_insensitively(string upper)
    {
        if (upper == "digest version")
        {
            image.Version(WithUpperHex(Image), Young, Metadata.Image());
        }
        else
        {
            image.TaggedImage("v1", upper == "tag manifest" ? WithUpperHex(Image) : Image, Old);
        }

        var signature = image.Referrer(Signature, Old, upper == "subject" ? WithUpperHex(Image).ToUpperInvariant() : Image);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(signature), Is.EqualTo(DanglingImageDecision.SubjectAlive));
    }

    [Test]
    public void Two_referrers_of_one_kept_image_and_an_orphan_are_told_apart()
    {
        image.TaggedImage("v1", Image, Old);
        var signature = image.Referrer(Signature, Old, Image);
        var sbom = image.Referrer(Sbom, Old, Image);
        var orphan = image.Referrer(Of("orphan"), Old, Of("deleted image"));

        var plan = inventory.Plan();

        Assert.That(plan.Candidates.Select(c => (c.VersionId, c.Decision)), Is.EquivalentTo(new[]
        {
            (signature, DanglingImageDecision.SubjectAlive),
            (sbom, DanglingImageDecision.SubjectAlive),
            (orphan, DanglingImageDecision.Delete),
        }));
        Assert.That(plan.ReferencedVersions, Is.Zero, "kept through a subject is not referenced");
    }

    [Test]
    public void Sparing_a_doomed_subject_spares_its_doomed_referrers_but_sparing_a_referrer_spares_no_subject()
    {
        var subject = image.Manifest(Image, Old);
        var signature = image.Referrer(Signature, Old, Image);

        var plan = inventory.Plan();

        Assert.That(plan.DoomedEdges[subject], Is.EqualTo(new[] { signature }));
        Assert.That(plan.DoomedEdges.ContainsKey(signature), Is.False);
    }

    // cosign's older scheme: the tag sha256-<hex>.sig names its subject.
    [TestCase(false, "image", Old, null, TestName = "Referrer_tags_are_roots_when_the_setting_is_off")]
    [TestCase(true, "image", Old, DanglingImageDecision.SubjectAlive, TestName = "A_referrer_tag_of_a_present_image_is_kept_when_the_setting_is_on")]
    [TestCase(true, "tagged image", Old, DanglingImageDecision.SubjectAlive, TestName = "A_referrer_tag_of_a_tags_manifest_is_kept_when_the_setting_is_on")]
    [TestCase(true, "nothing", Old, DanglingImageDecision.Delete, TestName = "An_old_referrer_tag_of_nothing_is_doomed_when_the_setting_is_on")]
    [TestCase(true, "nothing", Young, DanglingImageDecision.TooYoung, TestName = "A_young_referrer_tag_of_nothing_is_kept_when_the_setting_is_on")]
    [TestCase(false, "nothing", Old, null, TestName = "An_old_referrer_tag_of_nothing_is_a_root_when_the_setting_is_off")]
    public void Referrer_tags(bool removeOrphanedReferrerTags, string subject, long createdUnix, DanglingImageDecision? expected)
    {
        if (subject == "image")
        {
            image.Manifest(Image, Young);
        }
        else if (subject == "tagged image")
        {
            image.TaggedImage("v1", Image, Old);
        }

        var hex = Image["sha256:".Length..];
        var tags = Suffixes.Select(suffix => image.Tag($"sha256-{hex}.{suffix}", createdUnix)).ToList();

        var plan = inventory.Plan(removeOrphanedReferrerTags: removeOrphanedReferrerTags);

        Assert.That(tags.Select(plan.DecisionFor), Is.All.EqualTo(expected));
        if (expected is not null)
        {
            Assert.That(tags.Select(t => plan.Candidates.Single(c => c.VersionId == t).Kind), Is.All.EqualTo(DanglingImageCandidateKind.ReferrerTag));
        }
    }

    [TestCase("sha256-abc.sig", TestName = "A_tag_with_a_short_hex_is_not_a_referrer_tag")]
    [TestCase("sha256-{hex}.sig.bak", TestName = "A_tag_with_more_after_the_suffix_is_not_a_referrer_tag")]
    [TestCase("sha256-{hex}.txt", TestName = "A_tag_with_another_suffix_is_not_a_referrer_tag")]
    [TestCase("sha256-{hex}", TestName = "The_referrers_tag_schema_index_is_not_a_referrer_tag")]
    [TestCase("v1.sig", TestName = "A_sig_tag_without_a_digest_is_not_a_referrer_tag")]
    public void Only_tags_of_the_scheme_are_judged(string tag)
    {
        image.Tag(tag.Replace("{hex}", Image["sha256:".Length..], StringComparison.Ordinal), Old);

        var plan = inventory.Plan(removeOrphanedReferrerTags: true);

        Assert.That(plan.Candidates, Is.Empty);
    }

    [Test]
    public void A_referrer_tag_in_upper_case_is_judged_and_goes_before_its_doomed_subject()
    {
        var subject = image.Manifest(Image, Old);
        var tag = image.Version($"SHA256-{Image["sha256:".Length..].ToUpperInvariant()}.SIG", Old, Metadata.Image());

        var plan = inventory.Plan(removeOrphanedReferrerTags: true);

        Assert.That(plan.DecisionFor(tag), Is.EqualTo(DanglingImageDecision.Delete));
        Assert.That(plan.UnitOf(tag), Is.LessThan(plan.UnitOf(subject)));
    }

    [Test]
    public void What_a_referrer_tag_lists_is_kept_only_while_the_tag_is_a_root()
    {
        // Off, a referrer tag is a root like any tag, and what it lists stays; on, it is judged, and an orphan keeps nothing.
        var listed = image.Manifest(Amd64, Old);
        var hex = Image["sha256:".Length..];
        image.Tag($"sha256-{hex}.att", Old, Amd64);

        var off = inventory.Plan();
        var on = inventory.Plan(removeOrphanedReferrerTags: true);

        Assert.That(off.DecisionFor(listed), Is.Null);
        Assert.That(on.DecisionFor(listed), Is.EqualTo(DanglingImageDecision.Delete));
    }
}
