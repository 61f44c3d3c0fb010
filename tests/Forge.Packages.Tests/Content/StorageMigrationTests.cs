using Forge.Packages.Content;
using Forge.Testing;

namespace Forge.Packages.Tests.Content;

/// <summary>
/// <c>packages storage migrate</c>'s copy against a real PostgreSQL: from the world's folder store to a second store (a
/// bucket of a real S3 server, or another folder), blob by blob as package_blob names them, and back.
/// </summary>
[NonParallelizable]
[TestFixture("s3")]
[TestFixture("folder")]
public sealed class StorageMigrationTests(string destinationKind)
{
    private ForgeTestWorld w = null!;
    private StoreUnderTest under = null!;

    private IContentStore Destination => under.Store;

    private FolderContentStore Source => w.Service<FolderContentStore>();

    [SetUp]
    public async Task CreateWorld()
    {
        w = await ForgeTestWorld.CreateAsync();
        under = await StoreUnderTest.CreateAsync(destinationKind, listPageSize: 1000);
    }

    [TearDown]
    public async Task DropWorld()
    {
        await w.DisposeAsync();
        await under.DisposeAsync();
    }

    [Test]
    public async Task Every_blob_a_row_names_is_copied_byte_for_byte_and_nothing_else()
    {
        var blobs = new[] { await w.BlobAsync(w.Old), await w.BlobAsync(w.Young), await w.BlobAsync(w.Old) };
        var stray = await StoreFileNoRowNamesAsync();

        var report = await MigrateAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((report.Blobs, report.Copied, report.AlreadyThere, report.Complete), Is.EqualTo((3L, 3L, 0L, true)));
            Assert.That(report.BytesCopied, Is.EqualTo(blobs.Sum(b => b.Size)));
            Assert.That(await Listed(Destination), Is.EquivalentTo(blobs.Select(b => b.Hash)), "the stray file stays behind");
            foreach (var (_, hash, _) in blobs)
            {
                Assert.That(await ReadAsync(Destination, hash), Is.EqualTo(await File.ReadAllBytesAsync(Source.PathOf(hash))));
            }

            Assert.That(Source.Exists(stray) && blobs.All(b => Source.Exists(b.Hash)), Is.True, "nothing is removed from the source");
            Assert.That(w.Service<ContentStaging>().EnumerateTemporary(), Is.Empty, "no staged file is left");
        });
    }

    [Test]
    public async Task A_second_run_copies_only_what_the_first_did_not_finish()
    {
        var done = await w.BlobAsync(w.Old);
        var cutShort = await w.BlobAsync(w.Old);
        var notYet = await w.BlobAsync(w.Old);
        // As an interrupted run leaves the destination: one blob whole, one cut short.
        await CopyToDestinationAsync(done.Hash, Source.PathOf(done.Hash));
        await CopyToDestinationAsync(cutShort.Hash, Source.PathOf(cutShort.Hash), keep: 10);

        var first = await MigrateAsync();
        var second = await MigrateAsync();

        Assert.Multiple(async () =>
        {
            Assert.That((first.Copied, first.AlreadyThere), Is.EqualTo((2L, 1L)), "the whole one is skipped, the short one copied again");
            Assert.That(first.BytesCopied, Is.EqualTo(cutShort.Size + notYet.Size));
            Assert.That((second.Copied, second.AlreadyThere, second.Complete), Is.EqualTo((0L, 3L, true)));
            Assert.That(await Destination.SizeOfAsync(cutShort.Hash, CancellationToken.None), Is.EqualTo(cutShort.Size));
        });
    }

    [Test]
    public async Task Content_missing_or_corrupt_in_the_source_is_reported_and_never_copied()
    {
        var missing = await w.BlobAsync(w.Old);
        var corrupt = await w.BlobAsync(w.Old);
        var fine = await w.BlobAsync(w.Old);
        File.Delete(Source.PathOf(missing.Hash));
        await File.WriteAllBytesAsync(Source.PathOf(corrupt.Hash), [1, 2, 3]);
        await w.BlobRowAsync("NOT-A-HASH".PadRight(64, '-'), 1, w.Old);

        var report = await MigrateAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(report.MissingInSource, Is.EqualTo(new[] { missing.Hash }));
            Assert.That(report.CorruptInSource, Is.EqualTo(new[] { corrupt.Hash }));
            Assert.That(report.NotAHash, Has.Count.EqualTo(1));
            Assert.That((report.Copied, report.Complete), Is.EqualTo((1L, false)));
            Assert.That(await Listed(Destination), Is.EqualTo(new[] { fine.Hash }));
        });
    }

    [Test]
    public async Task Migrating_back_copies_to_the_folder_what_only_the_other_store_has()
    {
        var blob = await w.BlobAsync(w.Old);
        await CopyToDestinationAsync(blob.Hash, Source.PathOf(blob.Hash));
        File.Delete(Source.PathOf(blob.Hash));

        var report = await w.Service<StorageMigration>().RunAsync(Destination, w.Service<IContentStore>(), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That((report.Copied, report.Complete), Is.EqualTo((1L, true)));
            Assert.That(Source.Exists(blob.Hash), Is.True);
        });
    }

    private Task<StorageMigrationReport> MigrateAsync()
        => w.Service<StorageMigration>().RunAsync(w.Service<IContentStore>(), Destination, CancellationToken.None);

    private async Task<string> StoreFileNoRowNamesAsync()
    {
        await using var content = new MemoryStream([9, 9, 9]);
        return (await w.Service<IContentStore>().SaveAsync(w.Service<ContentStaging>(), content, CancellationToken.None)).Sha256;
    }

    private async Task CopyToDestinationAsync(string hash, string from, int? keep = null)
    {
        var bytes = await File.ReadAllBytesAsync(from);
        await under.WriteForeignAsync(ContentKeys.RelativeKeyOf(hash), keep is { } length ? bytes[..length] : bytes);
    }

    private static async Task<byte[]> ReadAsync(IContentStore store, string hash)
    {
        await using var content = await store.OpenReadAsync(hash, CancellationToken.None);
        using var copy = new MemoryStream();
        await content!.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<List<string>> Listed(IContentStore store)
        => await store.EnumerateAsync(CancellationToken.None).Select(s => s.Name).ToListAsync();
}
