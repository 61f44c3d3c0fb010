using System.Collections.Concurrent;
using System.Text;
using Forge.Packages.Container.Demo;
using Forge.Packages.Container.Registry;
using Forge.Tooling.Oci;

namespace Forge.Soak;

/// <summary>A tag as its writer last published it: the index's digest, its direct entries, and every digest it needs.</summary>
public sealed record PublishedTag(string Repository, string Tag, string Digest, IReadOnlyList<string> Entries, IReadOnlyList<string> Needs);

/// <summary>
/// The writers' own log of what they published, kept apart from the database so that the invariants can
/// compare the final state with it. Each repository belongs to one writer, so a tag's last entry is its
/// last successful push.
/// </summary>
public sealed class WriterLog
{
    private readonly ConcurrentDictionary<(string Repository, string Tag), PublishedTag> tags = new();
    private long manifests;
    private long indexes;
    private long refused;
    private long abandoned;
    private readonly ConcurrentQueue<string> errors = new();

    public IReadOnlyCollection<PublishedTag> Tags => tags.Values.ToList();

    /// <summary>Manifests pushed (platform manifests and single-platform tags).</summary>
    public long Manifests => Interlocked.Read(ref manifests);

    /// <summary>Image indexes pushed, by tag or by digest.</summary>
    public long Indexes => Interlocked.Read(ref indexes);

    /// <summary>Index pushes refused with MANIFEST_BLOB_UNKNOWN: a child had been deleted while the writer paused.</summary>
    public long Refused => Interlocked.Read(ref refused);

    /// <summary>Mirrors that pushed platform manifests and died before their index.</summary>
    public long Abandoned => Interlocked.Read(ref abandoned);

    /// <summary>Pushes that failed with anything but MANIFEST_BLOB_UNKNOWN: a registry would have answered 500.</summary>
    public IReadOnlyList<string> Errors => errors.ToList();

    internal void Error(string error) => errors.Enqueue(error);

    internal void Manifest() => Interlocked.Increment(ref manifests);

    internal void Index() => Interlocked.Increment(ref indexes);

    internal void Refuse() => Interlocked.Increment(ref refused);

    internal void Abandon() => Interlocked.Increment(ref abandoned);

    internal void Publish(PublishedTag tag) => tags[(tag.Repository, tag.Tag)] = tag;
}

/// <summary>How long a writer pauses between its platform manifests and its index, against the cleanup's window.</summary>
public enum PauseKind
{
    /// <summary>Shorter than half the window: the children are young when the index comes.</summary>
    Short,

    /// <summary>1.5 to 3 windows: the children are old and unreferenced while the writer waits.</summary>
    Long,

    /// <summary>No pause (loading a registry quickly).</summary>
    None,
}

/// <summary>
/// A writer that behaves like <c>skopeo sync</c> and <c>docker buildx</c> through the registry's write path
/// (<see cref="SyntheticImages"/> over the registry's publisher, which locks what an index names, docs/cleanup.md rule 8): platform
/// manifests by digest, a pause, then the index by tag; tags pushed again with new content; nested indexes
/// pushed by digest; the same image mirrored into two repositories; mirrors that die before their index,
/// and mirrors resumed a window later over the manifests a dead one left.
/// </summary>
public sealed class MirrorWriter(SyntheticImages writer, WriterLog log, int number, int seed, TimeSpan window, bool longPauses)
{
    public const long OwnerId = 1;
    private const int Repositories = 3;
    private static readonly string[] Platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"];

    private readonly Random random = new(seed * 7919 + number);
    private readonly List<(string Repository, List<IndexEntry> Children, DateTimeOffset Pushed)> abandoned = [];
    private long serial;

    /// <summary>Repository names of a writer: each belongs to that writer alone.</summary>
    public static string RepositoryName(int writer, int index) => $"w{writer}-r{index}";

    /// <summary>Pushes until <paramref name="stopping"/> is cancelled (finishing the operation in hand), or <paramref name="operations"/> are done.</summary>
    public async Task RunAsync(CancellationToken stopping, int operations = int.MaxValue)
    {
        for (var done = 0; done < operations && !stopping.IsCancellationRequested; done++)
        {
            var repositoryIndex = random.Next(Repositories);
            var repository = RepositoryName(number, repositoryIndex);
            var tag = $"t{random.Next(3)}";
            var pause = longPauses && random.Next(2) == 0 ? PauseKind.Long : longPauses ? PauseKind.Short : PauseKind.None;
            var operation = random.Next(11);
            try
            {
                await (operation switch
                {
                    < 4 => SyncAsync(repository, tag, pause),
                    < 6 => NestedAsync(repository, tag, pause),
                    6 => MirrorTwiceAsync(repository, RepositoryName(number, (repositoryIndex + 1) % Repositories), tag, pause),
                    7 => AbandonAsync(repository),
                    8 => AdoptAsync(repository, tag),
                    _ => SinglePlatformAsync(repository, tag),
                });
            }
            catch (Exception e) when (e is not RegistryFailureException { Failure: RegistryFailure.ManifestBlobUnknown })
            {
                log.Error($"writer {number}, {repository}:{tag}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>skopeo sync / buildx: every platform by digest, a pause, the index by tag.</summary>
    private async Task SyncAsync(string repository, string tag, PauseKind pause)
    {
        var children = await PlatformsAsync(repository, random.Next(2, 5));
        await PauseAsync(pause);
        await PublishIndexAsync(repository, tag, children, children.Select(c => c.Digest).ToList());
    }

    /// <summary>An index pushed by digest (itself named by the tagged index), as buildx does with attestations.</summary>
    private async Task NestedAsync(string repository, string tag, PauseKind pause)
    {
        var children = await PlatformsAsync(repository, random.Next(2, 4));
        PushedManifest inner;
        try
        {
            inner = await writer.PushIndexAsync(OwnerId, repository, null, children);
        }
        catch (RegistryFailureException e) when (e.Failure == RegistryFailure.ManifestBlobUnknown)
        {
            // On a loaded machine pushing the platforms can take longer than the window: the first is then old, and
            // unnamed, and the cleanup may take it before the inner index names it. The push is refused, as it must be.
            log.Refuse();
            return;
        }

        log.Index();
        var direct = await PlatformsAsync(repository, 1);
        await PauseAsync(pause);
        var entries = direct.Append(new IndexEntry(inner.Digest, "unknown/unknown")).ToList();
        await PublishIndexAsync(repository, tag, entries, [.. children.Select(c => c.Digest), inner.Digest, direct[0].Digest]);
    }

    /// <summary>The same image into two repositories; only the first gets its index: the second copy dangles (rule 4).</summary>
    private async Task MirrorTwiceAsync(string repository, string other, string tag, PauseKind pause)
    {
        var images = Enumerable.Range(0, random.Next(2, 4)).Select(_ => Image()).ToList();
        var children = new List<IndexEntry>();
        foreach (var image in images)
        {
            children.Add(await PushPlatformAsync(repository, image));
            await PushPlatformAsync(other, image);
        }

        log.Abandon();
        await PauseAsync(pause);
        await PublishIndexAsync(repository, tag, children, children.Select(c => c.Digest).ToList());
    }

    /// <summary>A mirror that dies after its platform manifests; a later push may still adopt them.</summary>
    private async Task AbandonAsync(string repository)
    {
        var pushed = DateTimeOffset.UtcNow;
        var children = await PlatformsAsync(repository, random.Next(1, 4));
        abandoned.Add((repository, children, pushed));
        log.Abandon();
    }

    /// <summary>
    /// A mirror resumed: an index by tag over the platform manifests an abandoned mirror pushed, sent at the
    /// moment they become old enough to go (their second plus the window), when the cleanup, running back
    /// to back, is deleting them. Either the push commits first and the cleanup's re-check spares them
    /// (rule 8), or the cleanup commits first and the push is refused; never an index with a missing child.
    /// </summary>
    private async Task AdoptAsync(string repository, string tag)
    {
        var candidates = abandoned.Where(a => a.Repository == repository).ToList();
        if (candidates.Count == 0)
        {
            await AbandonAsync(repository);
            return;
        }

        // created_unix has whole seconds, and a version goes when created_unix < now - window.
        DateTimeOffset Deletable(DateTimeOffset pushed) => DateTimeOffset.FromUnixTimeSeconds(pushed.ToUnixTimeSeconds()) + window + TimeSpan.FromSeconds(1);
        var now = DateTimeOffset.UtcNow;
        var upcoming = candidates.Where(a => Deletable(a.Pushed) >= now).OrderBy(a => a.Pushed).ToList();
        var (_, children, pushed) = upcoming.Count > 0 ? upcoming[0] : candidates.MaxBy(a => a.Pushed);
        abandoned.RemoveAll(a => a.Pushed == pushed && a.Repository == repository);
        var deletable = Deletable(pushed);
        var wait = deletable - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(random.Next(-20, 40));
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        await PublishIndexAsync(repository, tag, children, children.Select(c => c.Digest).ToList());
    }

    private async Task SinglePlatformAsync(string repository, string tag)
    {
        var (platform, config, layers) = Image();
        var pushed = await writer.PushImageAsync(OwnerId, repository, tag, platform, config, layers);
        log.Manifest();
        log.Publish(new PublishedTag(repository, tag, pushed.Digest, [], []));
    }

    private async Task PublishIndexAsync(string repository, string tag, List<IndexEntry> entries, List<string> needs)
    {
        try
        {
            var index = await writer.PushIndexAsync(OwnerId, repository, tag, entries);
            log.Index();
            log.Publish(new PublishedTag(repository, tag, index.Digest, entries.Select(e => e.Digest).ToList(), needs));
        }
        catch (RegistryFailureException e) when (e.Failure == RegistryFailure.ManifestBlobUnknown)
        {
            // What a registry answers when a child went while the client paused: the tag keeps its old content.
            log.Refuse();
        }
    }

    private async Task<List<IndexEntry>> PlatformsAsync(string repository, int count)
    {
        var entries = new List<IndexEntry>();
        for (var i = 0; i < count; i++)
        {
            entries.Add(await PushPlatformAsync(repository, Image()));
        }

        return entries;
    }

    private async Task<IndexEntry> PushPlatformAsync(string repository, (string Platform, ImageBlob Config, List<ImageBlob> Layers) image)
    {
        var pushed = await writer.PushImageAsync(OwnerId, repository, null, image.Platform, image.Config, image.Layers);
        log.Manifest();
        return new IndexEntry(pushed.Digest, image.Platform);
    }

    /// <summary>A new image: a unique config, one layer shared with other writers (a base image) and one of its own.</summary>
    private (string Platform, ImageBlob Config, List<ImageBlob> Layers) Image()
    {
        var id = Interlocked.Increment(ref serial);
        var platform = Platforms[random.Next(Platforms.Length)];
        var config = new ImageBlob(Encoding.UTF8.GetBytes($"{{\"architecture\":\"{platform}\",\"writer\":{number},\"serial\":{id},\"seed\":{random.Next()}}}"), ImageMediaTypes.OciConfig);
        var shared = new ImageBlob(Encoding.UTF8.GetBytes($"base layer {random.Next(8)}"), ImageMediaTypes.OciLayer);
        var own = new ImageBlob(Encoding.UTF8.GetBytes($"layer of writer {number} image {id} {random.Next()}"), ImageMediaTypes.OciLayer);
        return (platform, config, [shared, own]);
    }

    private async Task PauseAsync(PauseKind pause)
    {
        var milliseconds = pause switch
        {
            PauseKind.Short => random.NextDouble() * 0.5 * window.TotalMilliseconds,
            PauseKind.Long => (1.5 + (random.NextDouble() * 1.5)) * window.TotalMilliseconds,
            _ => 0,
        };
        if (milliseconds > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(milliseconds));
        }
    }
}
