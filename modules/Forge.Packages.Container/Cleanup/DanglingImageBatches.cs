namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// The doomed versions planned and not yet deleted, in deletion order, with what sparing and the
/// re-check need: their candidates, the doomed edges between them, and the versions of their packages
/// as the inventory read them. A package is forgotten once its last unit has been through a batch.
/// </summary>
public sealed class DanglingImageBatches(long cutoffUnix)
{
    private readonly Queue<(long PackageId, IReadOnlyList<long> Unit)> units = new();
    private readonly Dictionary<long, DanglingImageCandidate> candidates = [];
    private readonly Dictionary<(long PackageId, string Digest), List<long>> byDigest = [];
    private readonly Dictionary<long, IReadOnlyList<long>> doomedEdges = [];
    private readonly Dictionary<long, PackageState> packages = [];

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
                if (!byDigest.TryGetValue((packageId, candidate.Digest), out var ids))
                {
                    byDigest[(packageId, candidate.Digest)] = ids = [];
                }

                ids.Add(id);
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
                candidates.Remove(id);
                doomedEdges.Remove(id);
                Doomed.Remove(id);
            }

            packages.Remove(packageId);
        }
    }

    public DanglingImageCandidate Candidate(long id) => candidates[id];

    /// <summary>The doomed candidates with this digest in this package (more than one only when stored in different letter case).</summary>
    public List<long> Find(long packageId, string digest) => byDigest.TryGetValue((packageId, digest), out var ids) ? ids : [];

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

    /// <summary>Spares a doomed version and every doomed version it references; returns how many.</summary>
    public int Spare(long id)
    {
        var count = 0;
        var stack = new Stack<long>([id]);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!Doomed.Remove(next))
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

    private sealed class PackageState
    {
        public int Units { get; set; }
        public List<long> Doomed { get; } = [];
        public Dictionary<long, uint> Known { get; } = [];
    }
}
