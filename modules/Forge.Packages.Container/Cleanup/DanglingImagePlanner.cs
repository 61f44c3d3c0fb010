namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// The decision logic of the dangling image cleanup (docs/cleanup.md), free of any I/O: fed every container
/// version and reference property, it finds which digest versions are doomed and in which order they
/// may go (referrers before what they reference).
/// </summary>
public sealed class DanglingImagePlanner
{
    private readonly long cutoffUnix;
    private readonly Dictionary<long, VersionNode> versions = [];
    // Keyed by the digest in lower case: rows written by another tool may differ in case, and the unique
    // index then allows both spellings in one package; every version of a digest counts.
    private readonly Dictionary<(long PackageId, string Digest), List<long>> digestVersions = [];
    private int digestVersionCount;
    private readonly Dictionary<long, string> packageNames = [];
    private readonly List<long> malformed = [];

    public DanglingImagePlanner(long cutoffUnix) => this.cutoffUnix = cutoffUnix;

    /// <summary>Adds a container version; its metadata is parsed now and not kept.</summary>
    public void AddVersion(ContainerVersionRecord version)
    {
        var parsed = ManifestReferences.Parse(version.MetadataJson);
        if (parsed.Malformed)
        {
            malformed.Add(version.Id);
        }

        var digest = ManifestReferences.Normalize(version.LowerVersion);
        var isDigest = ContainerLayout.IsDigestVersion(digest);
        var node = new VersionNode(version.Id, version.PackageId, isDigest ? digest : null, version.CreatedUnix);
        foreach (var reference in parsed.Digests)
        {
            node.AddReference(reference);
        }

        versions[version.Id] = node;
        if (isDigest)
        {
            if (!digestVersions.TryGetValue((version.PackageId, digest), out var ids))
            {
                digestVersions[(version.PackageId, digest)] = ids = [];
            }

            ids.Add(version.Id);
            digestVersionCount++;
        }

        if (!packageNames.ContainsKey(version.PackageId))
        {
            packageNames[version.PackageId] = version.PackageName;
        }
    }

    /// <summary>Adds a <c>container.manifest.reference</c> property; properties of unknown versions are ignored.</summary>
    public void AddReferenceProperty(ReferenceProperty property)
    {
        if (versions.TryGetValue(property.VersionId, out var node))
        {
            node.AddReference(ManifestReferences.Normalize(property.Digest));
        }
    }

    public DanglingImagePlan Plan()
    {
        // Edges resolve inside the referrer's own package; a reference to nothing present is ignored.
        var edges = new Dictionary<long, List<long>>();
        foreach (var node in versions.Values)
        {
            if (node.References is null)
            {
                continue;
            }

            foreach (var digest in node.References)
            {
                if (!digestVersions.TryGetValue((node.PackageId, digest), out var found))
                {
                    continue;
                }

                foreach (var target in found.Where(t => t != node.Id))
                {
                    if (!edges.TryGetValue(node.Id, out var targets))
                    {
                        edges[node.Id] = targets = [];
                    }

                    targets.Add(target);
                }
            }
        }

        var tagRoots = versions.Values.Where(v => v.Digest is null).Select(v => v.Id);
        var reachableFromTags = Reach(tagRoots, edges);
        var allRoots = versions.Values.Where(v => v.Digest is null || v.CreatedUnix >= cutoffUnix).Select(v => v.Id);
        var reachable = Reach(allRoots, edges);

        var candidates = new List<DanglingImageCandidate>();
        var doomed = new HashSet<long>();
        var referenced = 0;
        foreach (var node in versions.Values.Where(v => v.Digest is not null).OrderBy(v => v.Id))
        {
            if (reachableFromTags.Contains(node.Id))
            {
                referenced++;
                continue;
            }

            var decision = reachable.Contains(node.Id) ? DanglingImageDecision.TooYoung : DanglingImageDecision.Delete;
            candidates.Add(new DanglingImageCandidate(node.Id, node.PackageId, packageNames[node.PackageId], node.Digest!, node.CreatedUnix) { Decision = decision });
            if (decision == DanglingImageDecision.Delete)
            {
                doomed.Add(node.Id);
            }
        }

        var doomedEdges = doomed
            .Where(edges.ContainsKey)
            .ToDictionary(id => id, id => (IReadOnlyList<long>)edges[id].Where(doomed.Contains).Distinct().ToList());
        return new DanglingImagePlan(
            cutoffUnix,
            versions.Count,
            digestVersionCount,
            referenced,
            candidates,
            // References resolve within a package, so ordering the units by package keeps referrers
            // first (OrderBy is stable) and lets each batch's re-check read few packages.
            DeletionOrder.ReferrersFirst(doomed, doomedEdges).OrderBy(unit => versions[unit[0]].PackageId).ToList(),
            doomedEdges,
            malformed.Order().ToList());
    }

    private static HashSet<long> Reach(IEnumerable<long> roots, Dictionary<long, List<long>> edges)
    {
        var seen = new HashSet<long>();
        var stack = new Stack<long>();
        foreach (var root in roots)
        {
            if (seen.Add(root))
            {
                stack.Push(root);
            }
        }

        while (stack.Count > 0)
        {
            if (!edges.TryGetValue(stack.Pop(), out var targets))
            {
                continue;
            }

            foreach (var target in targets)
            {
                if (seen.Add(target))
                {
                    stack.Push(target);
                }
            }
        }

        return seen;
    }

    private sealed class VersionNode(long id, long packageId, string? digest, long createdUnix)
    {
        public long Id { get; } = id;
        public long PackageId { get; } = packageId;

        /// <summary>The digest of a digest version; null for a tag version.</summary>
        public string? Digest { get; } = digest;

        public long CreatedUnix { get; } = createdUnix;
        public List<string>? References { get; private set; }

        public void AddReference(string digest)
        {
            References ??= [];
            if (!References.Contains(digest))
            {
                References.Add(digest);
            }
        }
    }
}
