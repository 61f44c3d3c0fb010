using Forge.Packages.Container.Cleanup;
using static Forge.Packages.Container.Tests.Unit.ContainerInventory;
using static Forge.Packages.Container.Tests.Unit.Digests;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>Which digest versions the planner dooms, keeps or orders, rule by rule (docs/cleanup.md).</summary>
public sealed class DanglingImagePlannerTests
{
    private ContainerInventory inventory = null!;
    private ImageRepository image = null!;

    [SetUp]
    public void CreateInventory()
    {
        inventory = new ContainerInventory();
        image = inventory.Image(1);
    }

    [TestCase(Old, DanglingImageDecision.Delete, TestName = "An_old_unreferenced_digest_version_is_doomed")]
    [TestCase(Young, DanglingImageDecision.TooYoung, TestName = "A_young_unreferenced_digest_version_is_too_young")]
    [TestCase(Cutoff, DanglingImageDecision.TooYoung, TestName = "A_version_created_exactly_at_the_cutoff_is_kept")]
    [TestCase(Cutoff - 1, DanglingImageDecision.Delete, TestName = "A_version_created_one_second_before_the_cutoff_is_doomed")]
    public void An_unreferenced_digest_version_is_doomed_only_when_created_before_the_cutoff(long createdUnix, DanglingImageDecision expected)
    {
        var orphan = image.Manifest(Amd64, createdUnix);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(orphan), Is.EqualTo(expected));
        Assert.That(plan.Doomed().Contains(orphan), Is.EqualTo(expected == DanglingImageDecision.Delete));
    }

    [Test]
    public void A_digest_listed_by_a_tags_index_is_not_a_candidate()
    {
        var platform = image.Manifest(Amd64, Old);
        image.Tag("v1", Old, Amd64);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(platform), Is.Null);
        Assert.That(plan.Doomed(), Is.Empty);
    }

    [Test]
    public void A_digest_named_only_by_a_reference_property_is_kept()
    {
        var platform = image.Manifest(Amd64, Old);
        var tag = image.Tag("v1", Old);
        inventory.AddReferenceProperty(tag, Amd64);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(platform), Is.Null);
    }

    [Test]
    public void A_reference_property_in_upper_case_still_keeps_its_digest()
    {
        var platform = image.Manifest(Amd64, Old);
        var tag = image.Tag("v1", Old);
        inventory.AddReferenceProperty(tag, Amd64.ToUpperInvariant());

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(platform), Is.Null);
    }

    [Test]
    public void Index_metadata_written_with_spaces_keeps_its_children()
    {
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);
        image.Version("v1", Old, $$"""{"type": "oci", "manifests": [ {"digest": "{{Amd64}}"}, {"digest": "{{Arm64}}"} ]}""");

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(amd64), Is.Null);
        Assert.That(plan.DecisionFor(arm64), Is.Null);
    }

    [Test]
    public void Damaged_index_metadata_keeps_the_children_whose_digest_text_remains()
    {
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);
        image.Version("v1", Old, Metadata.Index(Amd64, Arm64)[..^5]);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(amd64), Is.Null);
        Assert.That(plan.DecisionFor(arm64), Is.Null);
    }

    [Test]
    public void Damaged_index_metadata_is_reported_as_malformed()
    {
        image.Manifest(Amd64, Old);
        var index = image.Version("v1", Old, Metadata.Index(Amd64)[..^5]);

        var plan = inventory.Plan();

        Assert.That(plan.MalformedVersionIds, Is.EqualTo(new[] { index }));
    }

    [Test]
    public void Damaged_index_metadata_keeps_its_children_through_its_reference_properties()
    {
        var amd64 = image.Manifest(Amd64, Old);
        var index = image.Version("v1", Old, """{"type":"oci","manifests":[{"platform":"linux/am""");
        inventory.AddReferenceProperty(index, Amd64);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(amd64), Is.Null);
    }

    [Test]
    public void Metadata_that_is_valid_json_is_not_reported_as_malformed()
    {
        image.Tag("v1", Old, Amd64);
        image.Manifest(Amd64, Old);
        image.Version("_upload", Old, "null");
        image.Version("sha256:" + new string('0', 64), Old, null);

        var plan = inventory.Plan();

        Assert.That(plan.MalformedVersionIds, Is.Empty);
    }

    [Test]
    public void A_nested_index_reached_from_a_tag_keeps_its_platform_manifests()
    {
        image.Tag("v1", Old, InnerIndex);
        var nested = image.Index(InnerIndex, Old, Amd64, Arm64);
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.Candidates, Is.Empty);
        Assert.That(plan.ReferencedVersions, Is.EqualTo(3), $"{nested}, {amd64} and {arm64} are all referenced");
    }

    [Test]
    public void An_unreachable_old_nested_index_is_doomed_with_everything_below_it()
    {
        var outer = image.Index(OuterIndex, Old, InnerIndex);
        var inner = image.Index(InnerIndex, Old, Amd64, Arm64);
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.Doomed(), Is.EquivalentTo(new[] { outer, inner, amd64, arm64 }));
    }

    [Test]
    public void An_unreachable_nested_index_is_deleted_outer_index_first_then_inner_index_then_platform_manifests()
    {
        // Ids in the opposite order of the references, so that id order cannot pass for deletion order.
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);
        var inner = image.Index(InnerIndex, Old, Amd64, Arm64);
        var outer = image.Index(OuterIndex, Old, InnerIndex);

        var plan = inventory.Plan();

        Assert.That(plan.UnitOf(outer), Is.LessThan(plan.UnitOf(inner)));
        Assert.That(plan.UnitOf(inner), Is.LessThan(plan.UnitOf(amd64)));
        Assert.That(plan.UnitOf(inner), Is.LessThan(plan.UnitOf(arm64)));
    }

    [Test]
    public void Old_children_of_a_young_unreferenced_index_are_too_young()
    {
        var amd64 = image.Manifest(Amd64, Old);
        var arm64 = image.Manifest(Arm64, Old);
        image.Index(InnerIndex, Young, Amd64, Arm64);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(amd64), Is.EqualTo(DanglingImageDecision.TooYoung));
        Assert.That(plan.DecisionFor(arm64), Is.EqualTo(DanglingImageDecision.TooYoung));
    }

    [Test]
    public void A_young_unreferenced_index_is_itself_too_young()
    {
        image.Manifest(Amd64, Old);
        var index = image.Index(InnerIndex, Young, Amd64);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(index), Is.EqualTo(DanglingImageDecision.TooYoung));
    }

    [Test]
    public void An_index_tagged_after_the_cutoff_keeps_its_older_children()
    {
        // The reference implementation's inventory skipped versions newer than the limit, so it never
        // read this index and deleted its children (rule 1).
        var amd64 = image.Manifest(Amd64, Old - 86_400);
        var arm64 = image.Manifest(Arm64, Old - 86_400);
        image.Tag("latest", Now, Amd64, Arm64);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(amd64), Is.Null);
        Assert.That(plan.DecisionFor(arm64), Is.Null);
        Assert.That(plan.ScannedVersions, Is.EqualTo(3));
    }

    [Test]
    public void The_same_orphan_digest_in_two_packages_is_doomed_in_both()
    {
        var first = image.Manifest(Amd64, Old);
        var second = inventory.Image(2, "owner/other").Manifest(Amd64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.Doomed(), Is.EquivalentTo(new[] { first, second }));
    }

    [Test]
    public void A_digest_kept_in_one_package_is_still_doomed_in_another()
    {
        var kept = image.Manifest(Amd64, Old);
        image.Tag("v1", Old, Amd64);
        var orphan = inventory.Image(2, "owner/other").Manifest(Amd64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(kept), Is.Null);
        Assert.That(plan.DecisionFor(orphan), Is.EqualTo(DanglingImageDecision.Delete));
    }

    [Test]
    public void An_index_in_one_package_does_not_keep_a_digest_that_exists_only_in_another()
    {
        image.Tag("v1", Old, Amd64);
        var elsewhere = inventory.Image(2, "owner/other").Manifest(Amd64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(elsewhere), Is.EqualTo(DanglingImageDecision.Delete));
    }

    [Test]
    public void A_reference_property_of_one_package_does_not_keep_a_digest_of_another()
    {
        var tag = image.Tag("v1", Old);
        inventory.AddReferenceProperty(tag, Amd64);
        var elsewhere = inventory.Image(2, "owner/other").Manifest(Amd64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(elsewhere), Is.EqualTo(DanglingImageDecision.Delete));
    }

    [Test]
    public void Old_unreferenced_tag_versions_are_never_candidates()
    {
        image.Tag("v1", Old);
        image.Tag("v2", Old, Amd64);

        var plan = inventory.Plan();

        Assert.That(plan.Candidates, Is.Empty);
        Assert.That(plan.Doomed(), Is.Empty);
    }

    [Test]
    public void An_old_upload_version_is_never_a_candidate()
    {
        image.Version("_upload", Old, "null");

        var plan = inventory.Plan();

        Assert.That(plan.Candidates, Is.Empty);
    }

    [Test]
    public void A_digest_version_that_references_itself_is_still_doomed()
    {
        var self = image.Index(InnerIndex, Old, InnerIndex);

        var plan = inventory.Plan();

        Assert.That(plan.DeletionUnits, Is.EqualTo(new[] { new[] { self } }));
    }

    [Test]
    public void A_reference_cycle_among_doomed_versions_is_one_deletion_unit()
    {
        var first = image.Index(OuterIndex, Old, InnerIndex);
        var second = image.Index(InnerIndex, Old, OuterIndex);

        var plan = inventory.Plan();

        Assert.That(plan.DeletionUnits, Has.Count.EqualTo(1));
        Assert.That(plan.DeletionUnits[0], Is.EquivalentTo(new[] { first, second }));
    }

    [Test]
    public void A_reference_cycle_goes_after_its_referrers_and_before_what_it_references()
    {
        var platform = image.Manifest(Amd64, Old);
        var first = image.Index(OuterIndex, Old, InnerIndex);
        var second = image.Index(InnerIndex, Old, OuterIndex, Amd64);
        var referrer = image.Index(Digests.Of("referrer"), Old, OuterIndex);

        var plan = inventory.Plan();

        Assert.That(plan.UnitOf(first), Is.EqualTo(plan.UnitOf(second)));
        Assert.That(plan.UnitOf(referrer), Is.LessThan(plan.UnitOf(first)));
        Assert.That(plan.UnitOf(first), Is.LessThan(plan.UnitOf(platform)));
    }

    [Test]
    public void A_reachable_reference_cycle_is_kept()
    {
        var first = image.Index(OuterIndex, Old, InnerIndex);
        var second = image.Index(InnerIndex, Old, OuterIndex);
        image.Tag("v1", Old, OuterIndex);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(first), Is.Null);
        Assert.That(plan.DecisionFor(second), Is.Null);
    }

    [Test]
    public void A_long_chain_of_nested_indexes_is_ordered_from_the_top_down()
    {
        // Deep enough that a recursive graph walk would overflow the stack.
        const int depth = 20_000;
        var ids = new List<long>();
        for (var level = 0; level < depth; level++)
        {
            ids.Add(image.Index(Digests.Of($"level {level}"), Old, Digests.Of($"level {level + 1}")));
        }

        var plan = inventory.Plan();

        Assert.That(plan.Doomed(), Is.EqualTo(ids));
    }

    [Test]
    public void A_long_chain_of_nested_indexes_under_a_tag_is_kept_whole()
    {
        const int depth = 20_000;
        image.Tag("v1", Old, Digests.Of("level 0"));
        for (var level = 0; level < depth; level++)
        {
            image.Index(Digests.Of($"level {level}"), Old, Digests.Of($"level {level + 1}"));
        }

        var plan = inventory.Plan();

        Assert.That(plan.ReferencedVersions, Is.EqualTo(depth));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void In_any_reference_graph_every_referrer_goes_no_later_than_what_it_references(int seed)
    {
        var ids = AddRandomDoomedGraph(new Random(seed), versions: 150, referencesPerVersion: 2);

        var plan = inventory.Plan();

        Assert.That(plan.Doomed(), Is.EquivalentTo(ids));
        foreach (var (referrer, targets) in plan.DoomedEdges)
        {
            Assert.That(targets.Select(plan.UnitOf), Is.All.GreaterThanOrEqualTo(plan.UnitOf(referrer)), $"version {referrer}");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void In_any_reference_graph_only_versions_that_reference_each_other_share_a_unit(int seed)
    {
        AddRandomDoomedGraph(new Random(seed), versions: 150, referencesPerVersion: 2);

        var plan = inventory.Plan();

        // Brute force: two versions belong together exactly when each reaches the other.
        var reach = plan.Doomed().ToDictionary(id => id, id => Reachable(id, plan.DoomedEdges));
        foreach (var unit in plan.DeletionUnits)
        {
            var expected = reach.Keys.Where(other => reach[unit[0]].Contains(other) && reach[other].Contains(unit[0])).Append(unit[0]).Distinct();
            Assert.That(unit, Is.EquivalentTo(expected), $"unit of {unit[0]}");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(500)]
    public void Batches_keep_the_deletion_order_and_never_split_a_unit(int batchSize)
    {
        AddDoomedGraphWithCycles();
        var plan = inventory.Plan();

        var batches = plan.Batches(batchSize).ToList();

        Assert.That(batches.SelectMany(b => b), Is.EqualTo(plan.Doomed()));
        foreach (var unit in plan.DeletionUnits)
        {
            Assert.That(batches.Count(b => b.Intersect(unit).Any()), Is.EqualTo(1), $"unit {string.Join(",", unit)} is split");
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Batches_exceed_the_batch_size_only_to_hold_one_large_unit(int batchSize)
    {
        AddDoomedGraphWithCycles();
        var plan = inventory.Plan();

        foreach (var batch in plan.Batches(batchSize).Where(b => b.Count > batchSize))
        {
            Assert.That(plan.DeletionUnits.Any(u => u.Order().SequenceEqual(batch.Order())), Is.True, $"batch {string.Join(",", batch)}");
        }

        Assert.That(plan.Batches(batchSize).Count(), Is.GreaterThan(plan.Doomed().Count / (batchSize + 2)));
    }

    [Test]
    public void Batches_are_filled_up_to_the_batch_size()
    {
        for (var i = 0; i < 7; i++)
        {
            image.Manifest(Digests.Of($"orphan {i}"), Old);
        }

        var plan = inventory.Plan();

        int[] sizes = [3, 3, 1];
        Assert.That(plan.Batches(3).Select(b => b.Count), Is.EqualTo(sizes));
    }

    [Test]
    public void The_plan_counts_scanned_digest_referenced_and_unreferenced_versions()
    {
        image.Tag("v1", Old, InnerIndex);              // tag
        image.Index(InnerIndex, Old, Amd64);           // referenced
        image.Manifest(Amd64, Old);               // referenced
        image.Manifest(Arm64, Old);               // doomed
        image.Manifest(Digests.Of("new"), Young); // too young
        image.Version("_upload", Old, "null");    // internal
        inventory.Image(2, "owner/other").Manifest(Amd64, Old); // doomed, other package

        var plan = inventory.Plan();

        Assert.That(plan.ScannedVersions, Is.EqualTo(7));
        Assert.That(plan.DigestVersions, Is.EqualTo(5));
        Assert.That(plan.ReferencedVersions, Is.EqualTo(2));
        Assert.That(plan.Candidates, Has.Count.EqualTo(3));
    }

    [Test]
    public void Candidates_carry_their_package_digest_and_age_in_id_order()
    {
        var young = image.Manifest(Arm64, Young);
        var old = inventory.Image(2, "owner/other").Manifest(Amd64, Old);

        var plan = inventory.Plan();

        Assert.That(plan.Candidates.Select(c => (c.VersionId, c.PackageId, c.PackageName, c.Digest, c.CreatedUnix)), Is.EqualTo(new[]
        {
            (young, 1L, "owner/image", Arm64, Young),
            (old, 2L, "owner/other", Amd64, Old),
        }));
    }

    [Test]
    public void A_reference_to_a_digest_that_is_not_present_is_ignored()
    {
        var orphan = image.Manifest(Amd64, Old);
        image.Tag("v1", Old, Arm64);

        var plan = inventory.Plan();

        Assert.That(plan.Doomed(), Is.EqualTo(new[] { orphan }));
    }

    [Test]
    public void Doomed_edges_list_the_doomed_versions_each_doomed_version_references()
    {
        var amd64 = image.Manifest(Amd64, Old);
        var kept = image.Manifest(Arm64, Old);
        image.Tag("v1", Old, Arm64);
        var index = image.Index(InnerIndex, Old, Amd64, Arm64);

        var plan = inventory.Plan();

        Assert.That(plan.DoomedEdges[index], Is.EqualTo(new[] { amd64 }), $"{kept} is not doomed");
    }

    [Test]
    public void Damaged_index_metadata_with_an_upper_case_prefix_keeps_its_children()
    {
        var amd64 = image.Manifest(Amd64, Old);
        image.Version("v1", Old, Metadata.Index(Amd64.ToUpperInvariant())[..^5]);

        var plan = inventory.Plan();

        Assert.That(plan.DecisionFor(amd64), Is.Null);
    }

    [Test]
    public void A_lone_surrogate_escape_in_one_versions_metadata_does_not_stop_the_plan()
    {
        image.Version("v1", Old, """{"manifests":[{"digest":"\uD800"}]}""");
        var orphan = image.Manifest(Amd64, Old);

        DanglingImagePlan? plan = null;
        Assert.That(() => plan = inventory.Plan(), Throws.Nothing);
        Assert.That(plan!.Doomed(), Is.EqualTo(new[] { orphan }));
    }

    /// <summary>Old digest indexes, unreachable, each referencing a few others at random (cycles included).</summary>
    private List<long> AddRandomDoomedGraph(Random random, int versions, int referencesPerVersion)
    {
        return Enumerable.Range(0, versions)
            .Select(i => image.Index(
                Digests.Of($"node {i}"),
                Old,
                Enumerable.Range(0, referencesPerVersion).Select(_ => Digests.Of($"node {random.Next(versions)}")).ToArray()))
            .ToList();
    }

    private static HashSet<long> Reachable(long from, IReadOnlyDictionary<long, IReadOnlyList<long>> edges)
    {
        var seen = new HashSet<long>();
        var pending = new Queue<long>([from]);
        while (pending.TryDequeue(out var next))
        {
            foreach (var target in edges.TryGetValue(next, out var targets) ? targets : [])
            {
                if (seen.Add(target))
                {
                    pending.Enqueue(target);
                }
            }
        }

        return seen;
    }

    /// <summary>Doomed versions whose references make units of one, two and three versions.</summary>
    private void AddDoomedGraphWithCycles()
    {
        string D(string name) => Digests.Of(name);
        image.Index(D("top"), Old, D("a"), D("x"));
        image.Index(D("a"), Old, D("b"));
        image.Index(D("b"), Old, D("c"), D("p1"));
        image.Index(D("c"), Old, D("a"), D("p2"));
        image.Index(D("x"), Old, D("y"));
        image.Index(D("y"), Old, D("x"), D("p3"));
        image.Manifest(D("p1"), Old);
        image.Manifest(D("p2"), Old);
        image.Manifest(D("p3"), Old);
        image.Manifest(D("lonely"), Old);
    }

    [Test]
    public void A_digest_version_stored_in_upper_case_is_kept_by_a_lower_case_reference()
    {
        var planner = new DanglingImagePlanner(Cutoff);
        planner.AddVersion(new ContainerVersionRecord(1, 1, "owner/image", Amd64.ToUpperInvariant().Replace("SHA256:", "sha256:", StringComparison.Ordinal), Cutoff - 100, null));
        planner.AddVersion(new ContainerVersionRecord(2, 1, "owner/image", "v1", Cutoff - 100, $$"""{"manifests":[{"digest":"{{Amd64}}"}]}"""));

        var plan = planner.Plan();

        Assert.Multiple(() =>
        {
            Assert.That(plan.Candidates, Is.Empty);
            Assert.That(plan.ReferencedVersions, Is.EqualTo(1));
        });
    }

    [Test]
    public void Deletion_units_are_grouped_by_package_so_that_a_batch_reads_few_packages()
    {
        var planner = new DanglingImagePlanner(Cutoff);
        for (var id = 1; id <= 6; id++)
        {
            // Ids interleave two packages, as pushes to several repositories do.
            planner.AddVersion(new ContainerVersionRecord(id, 1 + (id % 2), "owner/image", $"sha256:{id:x64}", Cutoff - 100, null));
        }

        var plan = planner.Plan();

        var packages = plan.DeletionUnits.Select(u => 1 + (u.Single() % 2)).ToList();
        Assert.That(packages, Is.EqualTo(new long[] { 1, 1, 1, 2, 2, 2 }));
    }
}
