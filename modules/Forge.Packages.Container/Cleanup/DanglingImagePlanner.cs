namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// The decision logic of the dangling image cleanup (docs/cleanup.md), free of any I/O: fed every container
/// version, its reference and subject properties and the manifest digests of the tags that subjects name, it
/// finds which versions are doomed and in which order they may go (an index before what it lists, a referrer
/// before its subject).
/// </summary>
public sealed class DanglingImagePlanner
{
    private readonly long cutoffUnix;
    private readonly bool removeOrphanedReferrerTags;
    private readonly Dictionary<long, VersionNode> versions = [];
    // Keyed by the digest in lower case: rows written by another tool may differ in case, and the unique
    // index then allows both spellings in one package; every version of a digest counts.
    private readonly Dictionary<(long PackageId, string Digest), List<long>> digestVersions = [];
    // Tags by the digest of their manifest: a subject resolves to them too.
    private readonly Dictionary<(long PackageId, string Digest), List<long>> taggedManifests = [];
    private int digestVersionCount;
    private readonly Dictionary<long, string> packageNames = [];
    private readonly List<long> malformed = [];

    /// <param name="cutoffUnix">Versions created before it may go.</param>
    /// <param name="removeOrphanedReferrerTags">
    /// Judge cosign's referrer tags (<see cref="CosignReferrerTags"/>) like referrers instead of keeping them as roots.
    /// </param>
    public DanglingImagePlanner(long cutoffUnix, bool removeOrphanedReferrerTags = false)
    {
        this.cutoffUnix = cutoffUnix;
        this.removeOrphanedReferrerTags = removeOrphanedReferrerTags;
    }

    /// <summary>Adds what the inventory read of some packages: versions first, then what refers to them.</summary>
    public void AddChunk(InventoryChunk chunk)
    {
        foreach (var version in chunk.Versions)
        {
            AddVersion(version);
        }

        foreach (var property in chunk.ReferenceProperties)
        {
            AddReferenceProperty(property);
        }

        foreach (var property in chunk.SubjectProperties)
        {
            AddSubjectProperty(property);
        }

        foreach (var manifest in chunk.TagManifests)
        {
            AddTagManifest(manifest);
        }
    }

    /// <summary>Adds a container version; its metadata is parsed now and not kept.</summary>
    public void AddVersion(ContainerVersionRecord version)
    {
        var parsed = ManifestReferences.Parse(version.MetadataJson);
        if (parsed.Malformed)
        {
            malformed.Add(version.Id);
        }

        var name = ManifestReferences.Normalize(version.LowerVersion);
        var isDigest = ContainerLayout.IsDigestVersion(name);
        var node = new VersionNode(version.Id, version.PackageId, name, isDigest, version.CreatedUnix);
        if (!isDigest && removeOrphanedReferrerTags && CosignReferrerTags.SubjectOf(name) is { } subject)
        {
            node.IsReferrerTag = true;
            node.AddSubject(subject);
        }

        foreach (var reference in parsed.Digests)
        {
            node.AddReference(reference);
        }

        versions[version.Id] = node;
        if (isDigest)
        {
            Add(digestVersions, (version.PackageId, name), version.Id);
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

    /// <summary>Adds a <c>container.manifest.subject</c> property; properties of unknown versions and empty values are ignored.</summary>
    public void AddSubjectProperty(SubjectProperty property)
    {
        if (versions.TryGetValue(property.VersionId, out var node) && !string.IsNullOrWhiteSpace(property.Digest))
        {
            node.AddSubject(ManifestReferences.Normalize(property.Digest));
        }
    }

    /// <summary>Adds the digest of a tag's manifest, so that a subject naming it resolves to the tag; unknown versions are ignored.</summary>
    public void AddTagManifest(TagManifest manifest)
    {
        if (versions.TryGetValue(manifest.VersionId, out var node) && !node.IsDigest)
        {
            Add(taggedManifests, (node.PackageId, ManifestReferences.Normalize(manifest.Digest)), node.Id);
        }
    }

    public DanglingImagePlan Plan()
    {
        // References resolve inside the referrer's own package; a reference to nothing present is ignored.
        var references = new Dictionary<long, List<long>>();
        foreach (var node in versions.Values.Where(v => v.References is not null))
        {
            foreach (var digest in node.References!)
            {
                foreach (var target in Resolve(digestVersions, node.PackageId, digest).Where(t => t != node.Id))
                {
                    Add(references, node.Id, target);
                }
            }
        }

        // A subject resolves, in the referrer's own package too, to every version whose manifest has the digest: a
        // digest version of that name, or a tag whose manifest it is. Such a version keeps its referrers alive;
        // a referrer keeps nothing alive through its subject.
        var subjects = new Dictionary<long, List<long>>();
        foreach (var node in versions.Values.Where(v => v.Subjects is not null))
        {
            foreach (var digest in node.Subjects!)
            {
                foreach (var holder in Resolve(digestVersions, node.PackageId, digest).Concat(Resolve(taggedManifests, node.PackageId, digest)))
                {
                    if (holder != node.Id)
                    {
                        Add(subjects, node.Id, holder);
                    }
                }
            }
        }

        var keeps = references;
        if (subjects.Count > 0)
        {
            keeps = references.ToDictionary(e => e.Key, e => e.Value.ToList());
            foreach (var (referrer, holders) in subjects)
            {
                foreach (var holder in holders)
                {
                    Add(keeps, holder, referrer);
                }
            }
        }

        // Roots: every tag (bar the referrer tags judged here) and every young version. What the tags reach through
        // references is not a candidate; the other candidates are kept when a root reaches them through references
        // (too young) or, further, through subjects (their subject is alive).
        var tagRoots = versions.Values.Where(v => !v.IsJudged).Select(v => v.Id);
        var reachableFromTags = Reach(tagRoots, references);
        var allRoots = versions.Values.Where(v => !v.IsJudged || v.CreatedUnix >= cutoffUnix).Select(v => v.Id).ToList();
        var reachable = Reach(allRoots, references);
        var kept = subjects.Count == 0 ? reachable : Reach(allRoots, keeps);

        var candidates = new List<DanglingImageCandidate>();
        var doomed = new HashSet<long>();
        var referenced = 0;
        foreach (var node in versions.Values.Where(v => v.IsJudged).OrderBy(v => v.Id))
        {
            if (reachableFromTags.Contains(node.Id))
            {
                referenced++;
                continue;
            }

            var decision = reachable.Contains(node.Id) ? DanglingImageDecision.TooYoung
                : kept.Contains(node.Id) ? DanglingImageDecision.SubjectAlive
                : DanglingImageDecision.Delete;
            candidates.Add(new DanglingImageCandidate(node.Id, node.PackageId, packageNames[node.PackageId], node.Name, node.CreatedUnix)
            {
                Decision = decision,
                Kind = node.IsReferrerTag ? DanglingImageCandidateKind.ReferrerTag
                    : node.Subjects is null ? DanglingImageCandidateKind.Digest
                    : DanglingImageCandidateKind.Referrer,
                Subjects = node.Subjects ?? [],
            });
            if (decision == DanglingImageDecision.Delete)
            {
                doomed.Add(node.Id);
            }
        }

        // Sparing a doomed version spares what it keeps; the order puts every version before what it references
        // and every referrer before its subject.
        var doomedKeeps = Among(doomed, keeps);
        var order = Among(doomed, references);
        foreach (var (referrer, holders) in Among(doomed, subjects))
        {
            order[referrer] = [.. (order.TryGetValue(referrer, out var targets) ? targets : []).Concat(holders).Distinct()];
        }

        return new DanglingImagePlan(
            cutoffUnix,
            versions.Count,
            digestVersionCount,
            referenced,
            candidates,
            // References and subjects resolve within a package, so ordering the units by package keeps referrers
            // first (OrderBy is stable) and lets each batch's re-check read few packages.
            DeletionOrder.ReferrersFirst(doomed, order).OrderBy(unit => versions[unit[0]].PackageId).ToList(),
            doomedKeeps,
            malformed.Order().ToList());
    }

    private static List<long> Resolve(Dictionary<(long PackageId, string Digest), List<long>> index, long packageId, string digest)
        => index.TryGetValue((packageId, digest), out var found) ? found : [];

    private static void Add<TKey>(Dictionary<TKey, List<long>> lists, TKey key, long value)
        where TKey : notnull
    {
        if (!lists.TryGetValue(key, out var list))
        {
            lists[key] = list = [];
        }

        list.Add(value);
    }

    /// <summary>The edges from doomed versions to doomed versions.</summary>
    private static Dictionary<long, IReadOnlyList<long>> Among(HashSet<long> doomed, Dictionary<long, List<long>> edges)
        => doomed
            .Where(edges.ContainsKey)
            .ToDictionary(id => id, id => (IReadOnlyList<long>)edges[id].Where(doomed.Contains).Distinct().ToList());

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

    private sealed class VersionNode(long id, long packageId, string name, bool isDigest, long createdUnix)
    {
        public long Id { get; } = id;
        public long PackageId { get; } = packageId;

        /// <summary>The version's name in lower case: a digest, or a tag.</summary>
        public string Name { get; } = name;

        public bool IsDigest { get; } = isDigest;

        /// <summary>A cosign referrer tag that the cleanup judges (with RemoveOrphanedReferrerTags): no root.</summary>
        public bool IsReferrerTag { get; set; }

        /// <summary>Whether the cleanup decides its fate; any other version (a tag) is a root.</summary>
        public bool IsJudged => IsDigest || IsReferrerTag;

        public long CreatedUnix { get; } = createdUnix;
        public List<string>? References { get; private set; }
        public List<string>? Subjects { get; private set; }

        public void AddReference(string digest) => AddDistinct(References ??= [], digest);

        public void AddSubject(string digest) => AddDistinct(Subjects ??= [], digest);

        private static void AddDistinct(List<string> list, string digest)
        {
            if (!list.Contains(digest))
            {
                list.Add(digest);
            }
        }
    }
}
