using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Forge.Packages.Content;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Moq;

namespace Forge.Packages.Tests.Content;

/// <summary>What the metered store records of each operation, over a real folder store and over one that fails.</summary>
public sealed class MeteredContentStoreTests
{
    private static readonly string[] TagKeys = ["operation", "outcome"];

    private string root = null!;
    private ServiceProvider services = null!;
    private ContentStoreTelemetry telemetry = null!;
    private MetricCollector<long> operations = null!;
    private MetricCollector<long> bytes = null!;
    private MetricCollector<double> durations = null!;

    [SetUp]
    public void SetUp()
    {
        root = Path.Combine(Path.GetTempPath(), $"forge-metered-{Guid.NewGuid():N}");
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        telemetry = new ContentStoreTelemetry(meters);
        operations = new MetricCollector<long>(meters, "Forge.Packages", "forge.packages.storage.operations");
        bytes = new MetricCollector<long>(meters, "Forge.Packages", "forge.packages.storage.bytes");
        durations = new MetricCollector<double>(meters, "Forge.Packages", "forge.packages.storage.duration");
    }

    [TearDown]
    public void TearDown()
    {
        operations.Dispose();
        bytes.Dispose();
        durations.Dispose();
        services.Dispose();
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public async Task Every_operation_is_counted_timed_and_its_bytes_added_by_operation()
    {
        var store = new MeteredContentStore(new FolderContentStore(root), telemetry);
        var staging = new ContentStaging(root);
        var content = RandomNumberGenerator.GetBytes(3000);

        var (hash, _) = await store.SaveAsync(staging, new MemoryStream(content), CancellationToken.None);
        var size = await store.SizeOfAsync(hash, CancellationToken.None);
        await using (var read = await store.OpenReadAsync(hash, CancellationToken.None))
        {
            read!.Seek(1000, SeekOrigin.Begin);
            await read.CopyToAsync(Stream.Null);
        }

        var listed = await store.EnumerateAsync(CancellationToken.None).CountAsync();
        var freed = await store.DeleteAsync(hash, CancellationToken.None);
        var missing = await store.SizeOfAsync(hash, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That((size, listed, freed, missing), Is.EqualTo(((long?)3000, 1, (long?)3000, (long?)null)));
            Assert.That(Summed(operations), Is.EquivalentTo(new Dictionary<string, long>
            {
                ["publish success"] = 1, ["size success"] = 2, ["open success"] = 1, ["list success"] = 1, ["delete success"] = 1,
            }));
            Assert.That(Summed(bytes), Is.EquivalentTo(new Dictionary<string, long>
            {
                ["publish"] = 3000, ["open"] = 2000, ["delete"] = 3000,
            }), "written, read past the seek, freed");
            Assert.That(durations.GetMeasurementSnapshot(), Has.Count.EqualTo(6));
        });
    }

    [Test]
    public void A_failing_operation_is_counted_as_a_failure_and_its_error_passes_through()
    {
        var inner = new Mock<IContentStore>();
        inner.Setup(s => s.DeleteAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ThrowsAsync(new IOException("bucket unreachable"));
        var store = new MeteredContentStore(inner.Object, telemetry);

        var error = Assert.ThrowsAsync<IOException>(() => store.DeleteAsync(new string('a', 64), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Is.EqualTo("bucket unreachable"));
            Assert.That(Summed(operations), Is.EquivalentTo(new Dictionary<string, long> { ["delete failure"] = 1 }));
            Assert.That(bytes.GetMeasurementSnapshot(), Is.Empty);
        });
    }

    [Test]
    public void A_listing_that_fails_halfway_is_one_failed_list()
    {
        var inner = new Mock<IContentStore>();
        inner.Setup(s => s.EnumerateAsync(It.IsAny<CancellationToken>())).Returns(FailingListing());
        var store = new MeteredContentStore(inner.Object, telemetry);

        Assert.ThrowsAsync<IOException>(async () => await store.EnumerateAsync(CancellationToken.None).CountAsync());

        Assert.That(Summed(operations), Is.EquivalentTo(new Dictionary<string, long> { ["list failure"] = 1 }));
    }

    private static async IAsyncEnumerable<StoredContent> FailingListing()
    {
        yield return new StoredContent(new string('b', 64), 1, DateTimeOffset.UnixEpoch);
        await Task.Yield();
        throw new IOException("the second page failed");
    }

    /// <summary>The measurements summed by their tags' values (operation, then outcome when there is one).</summary>
    private static Dictionary<string, long> Summed(MetricCollector<long> collector)
        => collector.GetMeasurementSnapshot()
            .GroupBy(m => string.Join(' ', TagKeys.Where(m.Tags.ContainsKey).Select(k => m.Tags[k])))
            .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
}
