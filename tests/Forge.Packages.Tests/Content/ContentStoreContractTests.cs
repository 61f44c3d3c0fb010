using System.Security.Cryptography;
using Forge.Packages.Content;

namespace Forge.Packages.Tests.Content;

/// <summary>
/// What <see cref="IContentStore"/> promises, asked of each kind of store, each test with a new, empty one. The S3 store
/// lists two keys a request here, so that listing three objects takes more than one page.
/// </summary>
[TestFixture("s3")]
[TestFixture("folder")]
public sealed class ContentStoreContractTests(string kind)
{
    private const int ListPageSize = 2;
    private static readonly CancellationToken None = CancellationToken.None;

    private StoreUnderTest under = null!;

    private IContentStore Store => under.Store;

    [SetUp]
    public async Task CreateStore() => under = await StoreUnderTest.CreateAsync(kind, ListPageSize);

    [TearDown]
    public async Task DropStore() => await under.DisposeAsync();

    [Test]
    public async Task Published_content_has_its_size_and_reads_back_whole_and_from_wherever_the_stream_is_moved()
    {
        var content = RandomNumberGenerator.GetBytes(300_000);
        var staged = await under.StageAsync(content);

        await Store.PublishAsync(staged, None);

        await using var read = await Store.OpenReadAsync(staged.Sha256, None);
        Assert.That(read, Is.Not.Null);
        var whole = new MemoryStream();
        await read!.CopyToAsync(whole);
        read.Seek(123_456, SeekOrigin.Begin);
        var range = await ReadExactlyAsync(read, 1000);
        read.Position = 7;
        var start = await ReadExactlyAsync(read, 10);
        read.Seek(-5, SeekOrigin.End);
        var end = await ReadExactlyAsync(read, 5);
        Assert.Multiple(async () =>
        {
            Assert.That(File.Exists(staged.TemporaryPath), Is.False, "the staged file is removed");
            Assert.That(await Store.SizeOfAsync(staged.Sha256, None), Is.EqualTo(content.Length));
            Assert.That(read.CanSeek && read.CanRead && !read.CanWrite, Is.True);
            Assert.That(read.Length, Is.EqualTo(content.Length));
            Assert.That(whole.ToArray(), Is.EqualTo(content), "copied whole");
            Assert.That(range, Is.EqualTo(content[123_456..124_456]), "a range after a seek");
            Assert.That(start, Is.EqualTo(content[7..17]), "back to near the start");
            Assert.That(end, Is.EqualTo(content[^5..]), "the last bytes, sought from the end");
            Assert.That(await read.ReadAsync(new byte[10]), Is.Zero, "nothing past the end");
        });
    }

    [Test]
    public async Task Empty_content_is_stored_and_reads_back_empty()
    {
        var sha256 = await under.PublishAsync([]);

        await using var read = await Store.OpenReadAsync(sha256, None);
        Assert.Multiple(async () =>
        {
            Assert.That(await Store.SizeOfAsync(sha256, None), Is.Zero);
            Assert.That(read!.Length, Is.Zero);
            Assert.That(await read.ReadAsync(new byte[10]), Is.Zero);
        });
    }

    [Test]
    public async Task A_hash_the_store_does_not_have_has_no_size_no_content_and_nothing_to_delete()
    {
        await under.PublishAsync([1, 2, 3]);
        var missing = Convert.ToHexStringLower(SHA256.HashData("not stored"u8));

        Assert.Multiple(async () =>
        {
            Assert.That(await Store.SizeOfAsync(missing, None), Is.Null);
            Assert.That(await Store.OpenReadAsync(missing, None), Is.Null);
            Assert.That(await Store.DeleteAsync(missing, None), Is.Null);
        });
    }

    [Test]
    public async Task Deleting_content_frees_its_size_and_then_it_is_gone()
    {
        var kept = await under.PublishAsync([9, 9]);
        var sha256 = await under.PublishAsync(new byte[1234]);

        var freed = await Store.DeleteAsync(sha256, None);

        Assert.Multiple(async () =>
        {
            Assert.That(freed, Is.EqualTo(1234));
            Assert.That(await Store.SizeOfAsync(sha256, None), Is.Null);
            Assert.That(await Store.OpenReadAsync(sha256, None), Is.Null);
            Assert.That(await Store.DeleteAsync(sha256, None), Is.Null, "deleted twice");
            Assert.That(await Store.SizeOfAsync(kept, None), Is.EqualTo(2), "other content stays");
        });
    }

    [Test]
    public async Task Publishing_content_that_is_already_there_replaces_it()
    {
        var content = RandomNumberGenerator.GetBytes(5000);
        var first = await under.PublishAsync(content);

        var second = await under.PublishAsync(content);

        await using var read = await Store.OpenReadAsync(second, None);
        var back = new MemoryStream();
        await read!.CopyToAsync(back);
        Assert.Multiple(async () =>
        {
            Assert.That(second, Is.EqualTo(first));
            Assert.That(back.ToArray(), Is.EqualTo(content));
            Assert.That(await Store.EnumerateAsync(None).CountAsync(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Listing_yields_exactly_the_published_content_with_its_sizes_over_several_pages()
    {
        var published = new Dictionary<string, long>();
        foreach (var size in new[] { 10, 2000, 30_000 })
        {
            published[await under.PublishAsync(RandomNumberGenerator.GetBytes(size))] = size;
        }

        var listed = await Store.EnumerateAsync(None).ToListAsync();

        Assert.Multiple(() =>
        {
            Assert.That(listed.ToDictionary(c => c.Name, c => c.Size), Is.EquivalentTo(published));
            Assert.That(listed.Select(c => c.LastModified), Has.All.GreaterThan(DateTimeOffset.UtcNow.AddDays(-1)));
        });
    }

    [Test]
    public async Task An_empty_store_lists_nothing()
        => Assert.That(await Store.EnumerateAsync(None).ToListAsync(), Is.Empty);

    [Test]
    public async Task Something_another_program_wrote_where_content_goes_is_listed_by_its_name()
    {
        var sha256 = await under.PublishAsync([1]);
        await under.WriteForeignAsync("ab/cd/not-a-hash", [1, 2, 3, 4]);

        var listed = await Store.EnumerateAsync(None).ToListAsync();

        Assert.That(listed.Select(c => (c.Name, c.Size)), Is.EquivalentTo(new[] { (sha256, 1L), ("not-a-hash", 4L) }));
    }

    [TestCase("")]
    [TestCase("abc")]
    [TestCase("../../../../etc/passwd")]
    [TestCase("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [TestCase("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g")]
    public async Task A_hash_that_is_not_64_lower_case_hex_digits_is_an_argument_error(string hash)
    {
        var staged = await under.StageAsync([1, 2]) with { Sha256 = hash };

        Assert.Multiple(() =>
        {
            Assert.ThrowsAsync<ArgumentException>(() => Store.SizeOfAsync(hash, None));
            Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(hash, None));
            Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(hash, None));
            Assert.ThrowsAsync<ArgumentException>(() => Store.PublishAsync(staged, None));
        });
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }
}
