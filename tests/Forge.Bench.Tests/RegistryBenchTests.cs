using Forge.Bench.Registry;
using Forge.Tooling.Oci;

namespace Forge.Bench.Tests;

/// <summary>
/// The registry benchmark small: its image layout, the comparison of a pulled layout with the pushed one, and the
/// whole pipeline against Forge alone (CI installs skopeo, not the reference registry). Asserts agreement, never timings.
/// </summary>
[TestFixture]
public sealed class RegistryBenchTests
{
    private string folder = null!;

    [SetUp]
    public void CreateFolder()
    {
        folder = Path.Combine(Path.GetTempPath(), $"forge-registry-bench-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
    }

    [TearDown]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    [Test]
    public async Task Forge_gives_back_every_digest_it_was_pushed()
    {
        var options = new RegistryBenchOptions
        {
            SizeMegabytes = 8,
            Runs = 1,
            Contenders = [RegistryBenchOptions.Forge],
            WorkParent = folder,
        };

        var result = await new RegistryBench(options, TestContext.Progress).RunAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.DigestsIdentical, Is.True);
            Assert.That(result.Image.Layers, Is.EqualTo(3 * RandomImage.SizedLayersPerPlatform));
            Assert.That(result.AllRuns.Select(r => r.Contender), Is.EqualTo(new[] { RegistryBenchOptions.Forge }));
            var forge = result.Medians.Single();
            Assert.That(forge.DiskMegabytes, Is.GreaterThanOrEqualTo(result.ImageMegabytes), "the content store holds at least every layer");
            Assert.That(forge.PeakResidentMegabytes, Is.GreaterThanOrEqualTo(forge.IdleResidentMegabytes));
            Assert.That(Directory.EnumerateFileSystemEntries(folder), Is.Empty, "the throwaway folder is gone");
        });
    }

    [Test]
    public void The_same_seed_writes_the_same_image_and_another_seed_another()
    {
        var first = RegistryBench.WriteImage(Path.Combine(folder, "a"), platforms: 2, sizeMegabytes: 1, seed: 7);
        var again = RegistryBench.WriteImage(Path.Combine(folder, "b"), platforms: 2, sizeMegabytes: 1, seed: 7);
        var other = RegistryBench.WriteImage(Path.Combine(folder, "c"), platforms: 2, sizeMegabytes: 1, seed: 8);

        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(first));
            Assert.That(other.IndexDigest, Is.Not.EqualTo(first.IndexDigest));
            Assert.That(first.Blobs, Is.EqualTo(1 + (2 * (2 + RandomImage.SizedLayersPerPlatform))), "an index, and per platform a manifest, a config and the layers");
            Assert.That(first.LayerBytes, Is.InRange(1024 * 1024, 1024 * 1024 * 11 / 10));
            Assert.That(LayoutComparison.Differences(Path.Combine(folder, "a"), Path.Combine(folder, "b"), RegistryBench.Tag), Is.Empty);
        });
    }

    [Test]
    public async Task Skopeo_reads_every_platform_of_the_image_and_copies_it_digest_for_digest()
    {
        var source = Path.Combine(folder, "source");
        var copy = Path.Combine(folder, "copy");
        RegistryBench.WriteImage(source, platforms: 3, sizeMegabytes: 2, seed: 1);

        var copied = await new Skopeo().CopyAllAsync($"oci:{source}:{RegistryBench.Tag}", $"oci:{copy}:{RegistryBench.Tag}");

        Assert.That(copied.ExitCode, Is.Zero, copied.Errors);
        Assert.That(LayoutComparison.Differences(source, copy, RegistryBench.Tag), Is.Empty);
    }

    [Test]
    public void A_pulled_layout_with_a_missing_or_damaged_blob_is_reported()
    {
        var source = Path.Combine(folder, "source");
        var pulled = Path.Combine(folder, "pulled");
        RegistryBench.WriteImage(source, platforms: 1, sizeMegabytes: 1, seed: 1);
        RegistryBench.WriteImage(pulled, platforms: 1, sizeMegabytes: 1, seed: 1);
        var blobs = Directory.GetFiles(Path.Combine(pulled, "blobs", "sha256")).Order(StringComparer.Ordinal).ToList();
        File.Delete(blobs[0]);
        File.AppendAllText(blobs[1], "tampered");

        var differences = LayoutComparison.Differences(source, pulled, RegistryBench.Tag);

        Assert.That(differences, Has.Some.Contains("1 blob(s) missing").And.Some.Contains("1 pulled blob(s) whose content does not hash"));
    }
}
