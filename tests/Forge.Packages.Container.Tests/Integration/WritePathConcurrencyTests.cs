using System.Security.Cryptography;
using System.Text;
using Forge.Packages.Container.Registry;
using Forge.Tooling.Oci;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>The write path under pushes of the same content at the same instant, against a real PostgreSQL.</summary>
[NonParallelizable]
public sealed class WritePathConcurrencyTests
{
    private CleanupHarness h = null!;

    [SetUp]
    public async Task CreateWorld() => h = await CleanupHarness.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await h.DisposeAsync();

    [Test]
    public async Task Pushes_of_the_same_new_content_at_once_all_land_on_one_blob_row()
    {
        // Each round: new content, pushed by many writers at once, each its own tag. Every insert of the blob row races
        // the others on every unique hash index of package_blob, not only on the SHA-256 one.
        for (var round = 0; round < 50; round++)
        {
            var config = new ImageBlob(Encoding.UTF8.GetBytes($"{{\"round\":{round},\"nonce\":\"{Guid.NewGuid():N}\"}}"), ImageMediaTypes.OciConfig);
            var layer = new ImageBlob(RandomNumberGenerator.GetBytes(256), ImageMediaTypes.OciLayer);
            using var start = new SemaphoreSlim(0);
            var pushes = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                await start.WaitAsync();
                return await h.Images.PushImageAsync(1, "demo/app", $"r{round}-{i}", "linux/amd64", config, [layer], h.Now);
            })).ToList();
            start.Release(pushes.Count);

            var pushed = await Task.WhenAll(pushes);

            Assert.That(pushed.Select(p => p.Digest).Distinct().Count(), Is.EqualTo(1), $"round {round}");
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_blob WHERE hash_sha256 = $1::bpchar", layer.Sha256), Is.EqualTo(1), $"round {round}");
        }
    }
}
