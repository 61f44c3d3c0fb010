namespace Forge.Soak.Tests;

/// <summary>The invariant checks find what they are there to find: each breach made by hand is reported.</summary>
[TestFixture]
[Category("Reliability")]
public sealed class InvariantsTests : SoakWorldTest
{
    private WriterLog log = null!;

    [SetUp]
    public async Task CreateRegistry()
    {
        log = new WriterLog();
        // Ten operations of one writer, without pauses: tags, indexes, nested indexes, abandoned mirrors.
        await new MirrorWriter(World.Images, log, 0, seed: 3, TimeSpan.FromSeconds(1), longPauses: false).RunAsync(CancellationToken.None, operations: 10);
    }

    [Test]
    public async Task A_registry_written_by_the_writers_passes_every_check()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(log.Tags, Is.Not.Empty);
            Assert.That(log.Errors, Is.Empty);
            Assert.That(await Invariants.CheckAsync(World.DataSource, World.StorePath, log), Is.Empty);
        });
    }

    [Test]
    public async Task A_deleted_child_of_a_tagged_index_is_reported_against_the_state_and_the_writers_log()
    {
        var child = log.Tags.First(t => t.Needs.Count > 0).Needs[0];
        await DeleteVersionAsync($"lower_version = '{child}'");

        var violations = await Invariants.CheckAsync(World.DataSource, World.StorePath, log);

        Assert.Multiple(() =>
        {
            Assert.That(violations, Has.Some.Contains("needs " + child).And.Contains("not in its package"), "invariant 1 on the state");
            Assert.That(violations, Has.Some.Contains("references " + child), "invariant 2");
            Assert.That(violations, Has.Some.Contains(child).And.Contains("which is gone"), "invariant 1 on the log");
        });
    }

    [Test]
    public async Task A_half_deleted_version_and_orphaned_rows_are_reported()
    {
        var version = await World.CountAsync("SELECT min(id) FROM package_version WHERE lower_version LIKE 'sha256:%'");
        await ExecuteAsync($"DELETE FROM package_file WHERE version_id = {version} AND lower_name = 'manifest.json'");
        await ExecuteAsync("DELETE FROM package_version WHERE id = (SELECT max(id) FROM package_version WHERE lower_version LIKE 'sha256:%')");

        var violations = await Invariants.CheckAsync(World.DataSource, World.StorePath, log);

        Assert.Multiple(() =>
        {
            Assert.That(violations, Has.Some.Contains("without their manifest.json"));
            Assert.That(violations, Has.Some.Contains("package_file rows without their version"));
            Assert.That(violations, Has.Some.Contains("version properties (ref_type 0) without their version").Or.Some.Contains("file properties"));
        });
    }

    [Test]
    public async Task A_blob_row_without_its_content_file_is_reported()
    {
        var hash = (await Database.ColumnAsync("SELECT hash_sha256 FROM package_blob ORDER BY id LIMIT 1"))[0];
        File.Delete(World.Store.PathOf(hash));

        Assert.That(await Invariants.CheckAsync(World.DataSource, World.StorePath, log), Has.Some.Contains("without their content file"));
    }

    [Test]
    public async Task Leftovers_after_the_last_run_are_reported_as_leaks()
    {
        var violations = await Invariants.CheckNothingLeaksAsync(World.DataSource, World.StorePath);
        await ExecuteAsync("DELETE FROM package_blob b WHERE NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)");
        var stray = World.Store.PathOf(new string('a', 64));
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        await File.WriteAllTextAsync(stray, "stray");

        var afterStray = await Invariants.CheckNothingLeaksAsync(World.DataSource, World.StorePath);

        Assert.Multiple(() =>
        {
            Assert.That(log.Abandoned, Is.GreaterThan(0), "the writer left dangling versions");
            Assert.That(violations, Has.Some.Contains("is reachable from no tag"), "abandoned mirrors before any cleanup");
            Assert.That(afterStray, Has.Some.Contains("content file(s) without a package_blob row"));
        });
    }

    private async Task DeleteVersionAsync(string where)
    {
        var id = await World.CountAsync($"SELECT id FROM package_version WHERE {where} LIMIT 1");
        await ExecuteAsync($"""
            DELETE FROM package_property WHERE ref_type = 1 AND ref_id IN (SELECT id FROM package_file WHERE version_id = {id});
            DELETE FROM package_file WHERE version_id = {id};
            DELETE FROM package_property WHERE ref_type = 0 AND ref_id = {id};
            DELETE FROM package_version WHERE id = {id};
            """);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = World.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
