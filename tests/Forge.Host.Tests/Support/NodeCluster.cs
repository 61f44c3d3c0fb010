using Forge.Packages.ExpiredData;
using Forge.Packages.Container.Cleanup;
using Forge.Tooling;

namespace Forge.Host.Tests.Support;

/// <summary>
/// Several <c>forge run</c> processes on one database with the clustered scheduler, each a node of its
/// own name, running <c>cleanup_container_sha256</c> every second (and nothing else).
/// </summary>
public sealed class NodeCluster : IAsyncDisposable
{
    // Each node migrates and provisions the Quartz schema at start: slow on a busy machine.
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(1);

    private readonly string connectionString;
    private readonly ScratchDirectory scratch = new();
    private readonly Dictionary<string, ChildProcess> nodes = [];
    private int started;

    private NodeCluster(string connectionString) => this.connectionString = connectionString;

    /// <summary>The names of the nodes still running.</summary>
    public IReadOnlyList<string> Running => [.. nodes.Where(n => !n.Value.HasExited).Select(n => n.Key)];

    /// <summary>Starts <paramref name="count"/> nodes at once and waits until each has started its scheduler.</summary>
    public static async Task<NodeCluster> StartAsync(string connectionString, int count)
    {
        var cluster = new NodeCluster(connectionString);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(_ => cluster.StartNodeAsync()));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node and waits until its scheduler runs.</summary>
    public async Task<string> StartNodeAsync()
    {
        var name = $"node-{Interlocked.Increment(ref started)}";
        var node = HostProcess.Start(
            new Dictionary<string, string>
            {
                ["ConnectionStrings__Forge"] = connectionString,
                ["Forge__NodeName"] = name,
                ["Forge__DataPath"] = Path.Combine(scratch.Path, name),
                ["Forge__Scheduler__Clustered"] = "true",
                [$"Forge__Cron__{DanglingImageCleanupTask.Name}__Schedule"] = "* * * * * ?",
                [$"Forge__Cron__{DanglingImageCleanupTask.Name}__RunAtStart"] = "false",
                [$"Forge__Cron__{ExpiredDataCleanupTask.Name}__Enabled"] = "false",
            },
            "run");
        lock (nodes)
        {
            nodes.Add(name, node);
        }

        if (!await node.WaitUntilErrorsContainAsync("Application started", StartDeadline))
        {
            throw new InvalidOperationException($"{name} did not start: {node.Errors}");
        }

        return name;
    }

    public ChildProcess this[string name] => nodes[name];

    /// <summary>SIGKILLs the node: no shutdown code runs, its scheduler never says goodbye to the cluster.</summary>
    public void Kill(string name) => nodes[name].Kill();

    /// <summary>Every node's log, for a failing assertion to show.</summary>
    public string Logs => string.Join("\n", nodes.Select(n => $"--- {n.Key}\n{n.Value.Errors}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes.Values)
        {
            node.Dispose();
        }

        await scratch.DisposeAsync();
    }
}
