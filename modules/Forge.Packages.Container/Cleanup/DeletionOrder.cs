namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// Orders doomed versions so that every version goes no later than what it must precede (rule 7: an index before its
/// entries, a referrer before its subject): the strongly connected components of that graph in reverse topological
/// order (Tarjan).
/// </summary>
internal static class DeletionOrder
{
    public static IReadOnlyList<IReadOnlyList<long>> ReferrersFirst(
        IReadOnlyCollection<long> nodes, IReadOnlyDictionary<long, IReadOnlyList<long>> edges)
    {
        var index = new Dictionary<long, int>();
        var lowLink = new Dictionary<long, int>();
        var onStack = new HashSet<long>();
        var stack = new Stack<long>();
        var components = new List<IReadOnlyList<long>>();
        var next = 0;

        // Iterative Tarjan: a long chain of nested indexes must not overflow the call stack.
        foreach (var start in nodes.Order())
        {
            if (index.ContainsKey(start))
            {
                continue;
            }

            var work = new Stack<(long Node, int Edge)>();
            work.Push((start, 0));
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                if (edge == 0)
                {
                    index[node] = lowLink[node] = next++;
                    stack.Push(node);
                    onStack.Add(node);
                }

                var targets = edges.TryGetValue(node, out var t) ? t : [];
                var descended = false;
                for (var i = edge; i < targets.Count; i++)
                {
                    var target = targets[i];
                    if (!index.ContainsKey(target))
                    {
                        work.Push((node, i + 1));
                        work.Push((target, 0));
                        descended = true;
                        break;
                    }

                    if (onStack.Contains(target))
                    {
                        lowLink[node] = Math.Min(lowLink[node], index[target]);
                    }
                }

                if (descended)
                {
                    continue;
                }

                if (lowLink[node] == index[node])
                {
                    var component = new List<long>();
                    long member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        component.Add(member);
                    }
                    while (member != node);
                    component.Sort();
                    components.Add(component);
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    lowLink[parent] = Math.Min(lowLink[parent], lowLink[node]);
                }
            }
        }

        // Tarjan emits a component after every component it points to: reversed, what points comes first.
        components.Reverse();
        return components;
    }
}
