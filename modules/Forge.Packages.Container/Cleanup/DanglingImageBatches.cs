namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// The doomed versions planned and not yet deleted, in deletion order, with what sparing and the
/// re-check need: their candidates (by digest and by subject), the doomed edges between them, and the
/// versions of their packages as the inventory read them. A package is forgotten once its last unit has been through a batch.
/// </summary>
public sealed class DanglingImageBatches(long cutoffUnix)
{
    private readonly Queue<(long PackageId, IReadOnlyList<long> Unit)> units = new();
    private readonly Dictionary<long, DanglingImageCandidate> candidates = [];
    private readonly Dictionary<(long PackageId, string Digest), List<long>> byDigest = [];
    private readonly Dictionary<(long PackageId, string Digest), List<long>> bySubject = [];
    private readonly Dictionary<long, IReadOnlyList<long>> doomedEdges = [];
    private readonly Dictionary<long, PackageState> packages = [];
    // Deleted by a committed batch (or counted by a dry run's): no longer anything to spare, though a dry run's stay
    // in the database, doomed, and the re-check must go on treating them as such.
    private readonly HashSet<long> gone = [];

    public long CutoffUnix => cutoffUnix;

    /// <summary>Versions still doomed; sparing removes them.</summary>
    public HashSet<long> Doomed { get; } = [];

    /// <summary>Versions in the queued units.</summary>
    public int Count { get; private set; }

    public void Add(DanglingImagePlan plan, IReadOnlyList<ContainerVersionRecord> versions)
    {
        if (plan.DeletionUnits.Count == 0)
        {
            return;
        }

        var doomedCandidates = plan.Candidates.Where(c => c.Decision == DanglingImageDecision.Delete).ToDictionary(c => c.VersionId);
        foreach (var unit in plan.DeletionUnits)
        {
            var packageId = doomedCandidates[unit[0]].PackageId;
            if (!packages.TryGetValue(packageId, out var package))
            {
                packages[packageId] = package = new PackageState();
            }

            package.Units++;
            units.Enqueue((packageId, unit));
            Count += unit.Count;
            foreach (var id in unit)
            {
                var candidate = doomedCandidates[id];
                candidates[id] = candidate;
                package.Doomed.Add(id);
                Doomed.Add(id);
                Index(byDigest, (packageId, candidate.Digest), id);
                foreach (var subject in candidate.Subjects)
                {
                    Index(bySubject, (packageId, subject), id);
                }

                if (plan.DoomedEdges.TryGetValue(id, out var targets))
                {
                    doomedEdges[id] = targets;
                }
            }
        }

        foreach (var version in versions)
        {
            if (packages.TryGetValue(version.PackageId, out var package))
            {
                package.Known[version.Id] = version.Revision;
            }
        }
    }

    /// <summary>The next units, about <paramref name="batchSize"/> versions (a unit is never split), and their packages.</summary>
    public (List<long> Ids, List<long> Packages) Take(int batchSize)
    {
        var ids = new List<long>();
        var touched = new List<long>();
        while (units.TryPeek(out var next) && (ids.Count == 0 || ids.Count + next.Unit.Count <= batchSize))
        {
            units.Dequeue();
            Count -= next.Unit.Count;
            touched.Add(next.PackageId);
            ids.AddRange(next.Unit.Where(Doomed.Contains));
        }

        return (ids, touched);
    }

    /// <summary>A batch deleted these versions (a dry run's would have): sparing a version they referred to leaves them gone.</summary>
    public void MarkGone(IEnumerable<long> ids) => gone.UnionWith(ids);

    /// <summary>The batch of these units is over: forget the packages that have no unit left.</summary>
    public void Done(List<long> touched)
    {
        foreach (var packageId in touched)
        {
            var package = packages[packageId];
            if (--package.Units > 0)
            {
                continue;
            }

            foreach (var id in package.Doomed)
            {
                byDigest.Remove((packageId, candidates[id].Digest));
                foreach (var subject in candidates[id].Subjects)
                {
                    bySubject.Remove((packageId, subject));
                }

                candidates.Remove(id);
                doomedEdges.Remove(id);
                Doomed.Remove(id);
                gone.Remove(id);
            }

            packages.Remove(packageId);
        }
    }

    public DanglingImageCandidate Candidate(long id) => candidates[id];

    /// <summary>The doomed candidates with this digest in this package (more than one only when stored in different letter case).</summary>
    public List<long> Find(long packageId, string digest) => byDigest.TryGetValue((packageId, digest), out var ids) ? ids : [];

    /// <summary>The doomed candidates in this package that name this digest as their subject.</summary>
    public List<long> FindReferrers(long packageId, string digest) => bySubject.TryGetValue((packageId, digest), out var ids) ? ids : [];

    /// <summary>Every version of these packages as the inventory read it: id and revision.</summary>
    public Dictionary<long, uint> KnownVersions(IEnumerable<long> packageIds)
    {
        var distinct = packageIds.Distinct().ToList();
        if (distinct.Count == 1)
        {
            return packages[distinct[0]].Known;
        }

        var known = new Dictionary<long, uint>();
        foreach (var packageId in distinct)
        {
            foreach (var (id, revision) in packages[packageId].Known)
            {
                known[id] = revision;
            }
        }

        return known;
    }

    /// <summary>
    /// Spares a doomed version and every doomed version it keeps (what it references, its referrers) that has not gone
    /// in an earlier batch (a referrer goes before its subject); returns how many.
    /// </summary>
    public int Spare(long id)
    {
        var count = 0;
        var stack = new Stack<long>([id]);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (gone.Contains(next) || !Doomed.Remove(next))
            {
                continue;
            }

            candidates[next].Decision = DanglingImageDecision.Spared;
            count++;
            if (doomedEdges.TryGetValue(next, out var targets))
            {
                foreach (var target in targets)
                {
                    stack.Push(target);
                }
            }
        }

        return count;
    }

    private static void Index(Dictionary<(long PackageId, string Digest), List<long>> index, (long PackageId, string Digest) key, long id)
    {
        if (!index.TryGetValue(key, out var ids))
        {
            index[key] = ids = [];
        }

        ids.Add(id);
    }

    private sealed class PackageState
    {
        public int Units { get; set; }
        public List<long> Doomed { get; } = [];
        public Dictionary<long, uint> Known { get; } = [];
    }
}
