using System.Text;
using Forge.Packages.Container.Cleanup;
using Forge.Tooling.Oci;
using Npgsql;

namespace Forge.Packages.Container.Tests.Integration;

/// <summary>
/// The bad-input corpus of <c>metadata_json</c> (docs/cleanup.md rule 3), against a real PostgreSQL and the real
/// store. Each entry is the metadata of an old digest version (the parent) that a tag keeps alive, so its
/// metadata is read as a referrer; beside it an old child whose digest the value names, or does not, and an
/// old decoy that nothing names. A dry run and then a real run must agree, must not crash, must keep the
/// child exactly when the value names it (or, damaged, holds its digest), must report the parent as
/// malformed exactly when its text is not JSON, and must leave every other row alone.
/// </summary>
[NonParallelizable]
public sealed class MetadataCorpusTests
{
    private static readonly string Absent = CleanupHarness.Digest("absent");

    private CleanupHarness h = null!;

    [SetUp]
    public async Task CreateWorld() => h = await CleanupHarness.CreateAsync();

    [TearDown]
    public async Task DropWorld() => await h.DisposeAsync();

    /// <summary>A corpus entry: the parent's metadata (or reference property) given the child's digest, and what must happen.</summary>
    public sealed record Entry(string Name, Func<string, string?> Metadata, bool ChildKept, bool Malformed = false, Func<string, string>? ReferenceProperty = null)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<TestCaseData> Corpus() => Entries.Select(e => new TestCaseData(e).SetArgDisplayNames(e.Name));

    public static IReadOnlyList<Entry> Entries { get; } =
    [
        // Nothing that can hold a reference: no references, no crash, not malformed.
        new("NULL", _ => null, ChildKept: false),
        new("empty text", _ => "", ChildKept: false),
        new("whitespace only", _ => " \n\t ", ChildKept: false),
        new("JSON null", _ => "null", ChildKept: false),
        new("empty array", _ => "[]", ChildKept: false),
        new("array holding an index-like object", c => $"[{Index(Quoted(c))}]", ChildKept: false),
        new("number", _ => "42", ChildKept: false),
        new("string naming the child", Quoted, ChildKept: false),
        new("boolean", _ => "true", ChildKept: false),
        new("empty object", _ => "{}", ChildKept: false),
        new("image manifest metadata (may_name_digest false, never read)", _ => """{"type":"oci","platform":"linux/amd64","labels":{"a":"b"}}""", ChildKept: false),
        new("damaged text in braces that names nothing (never read, not reported)", _ => """{"type":"oci",,"platform"}""", ChildKept: false),
        new("the same damage after a space (read, reported)", _ => """ {"type":"oci",,"platform"}""", ChildKept: false, Malformed: true),

        // Valid indexes, however written.
        new("compact index", c => Index(Quoted(c)), ChildKept: true),
        new("indented index with keys in another order", c => $"{{\n  \"manifests\" : [ {{\n    \"size\" : 7,\n    \"digest\" :\t\"{c}\"\n  }} ],\n  \"schemaVersion\" : 2\n}}", ChildKept: true),
        new("upper-case MANIFESTS and DIGEST keys", c => $$"""{"MANIFESTS":[{"DIGEST":"{{c}}"}]}""", ChildKept: true),
        new("leading and trailing whitespace", c => $" \n\t{Index(Quoted(c))}\r\n ", ChildKept: true),
        new("duplicate manifests keys, the child in the second", c => $$"""{"manifests":[{"digest":"{{Absent}}"}],"manifests":[{"digest":"{{c}}"}]}""", ChildKept: true),
        new("duplicate manifests keys, the child in the first", c => $$"""{"manifests":[{"digest":"{{c}}"}],"manifests":[{"digest":"{{Absent}}"}]}""", ChildKept: true),
        new("200 levels of nesting beside the manifests (past System.Text.Json's default 64)", c => $$"""{"manifests":[{"digest":"{{c}}"}],"a":{{Nested(200)}}}""", ChildKept: true),
        new("10 MB document, the reference near the end", c => $$"""{"annotations":{"pad":"{{new string('x', 10 * 1024 * 1024)}}"},"manifests":[{"digest":"{{c}}"}]}""", ChildKept: true),

        // Letter case and spelling of the digest.
        new("upper-case hex", c => Index(Quoted("sha256:" + Hex(c).ToUpperInvariant())), ChildKept: true),
        new("upper-case SHA256: prefix and hex", c => Index(Quoted(c.ToUpperInvariant())), ChildKept: true),
        new("mixed-case digest", c => Index(Quoted("Sha256:" + MixedCase(Hex(c)))), ChildKept: true),
        new("whitespace around the digest", c => Index(Quoted($" {c}\\n ")), ChildKept: true),
        new("\\u-escaped colon", c => Index(Quoted($"sha256\\u003a{Hex(c)}")), ChildKept: true),
        new("\\u-escaped first letter", c => Index(Quoted($"\\u0073ha256:{Hex(c)}")), ChildKept: true),
        new("every character \\u-escaped", c => Index(Quoted(string.Concat(c.Select(ch => $"\\u{(int)ch:x4}")))), ChildKept: true),
        new("\\u-escaped manifests key", c => $$"""{"\u006danifests":[{"digest":"{{c}}"}]}""", ChildKept: true),
        new("escaped quotes in an annotation", c => $$"""{"annotations":{"title":"say \"hi\", \"sha256:\""},"manifests":[{"digest":"{{c}}"}]}""", ChildKept: true),
        new("\\u0000 escape in an annotation", c => $$"""{"annotations":{"nul":"a\u0000b"},"manifests":[{"digest":"{{c}}"}]}""", ChildKept: true),

        // Not this digest: other algorithms, wrong lengths, other characters.
        new("sha512 digest", c => Index(Quoted("sha512:" + Hex(c) + Hex(c))), ChildKept: false),
        new("blake3 digest of the same hex", c => Index(Quoted("blake3:" + Hex(c))), ChildKept: false),
        new("63 hex digits", c => Index(Quoted(c[..^1])), ChildKept: false),
        new("65 hex digits", c => Index(Quoted(c + "0")), ChildKept: false),
        new("a non-hex digit", c => Index(Quoted(c[..^1] + "g")), ChildKept: false),
        new("the hex alone, without sha256:", c => Index(Quoted(Hex(c))), ChildKept: false),
        new("digest wrapped in escaped quotes", c => Index(Quoted($"\\\"{c}\\\"")), ChildKept: false),
        new("\\u0000 escape after the digest", c => Index(Quoted(c + "\\u0000")), ChildKept: false),
        new("digest outside manifests (a config)", c => $$"""{"config":{"digest":"{{c}}"},"layers":[{"digest":"{{c}}"}]}""", ChildKept: false),

        // Not a string digest, or not a list of entries.
        new("digest is a number", _ => Index("42"), ChildKept: false),
        new("digest is an object holding the child", c => Index($$"""{"digest":"{{c}}"}"""), ChildKept: false),
        new("digest is an array holding the child", c => Index($"[{Quoted(c)}]"), ChildKept: false),
        new("digest is null", _ => Index("null"), ChildKept: false),
        new("manifests is an object", c => $$$"""{"manifests":{"digest":"{{{c}}}"}}""", ChildKept: false),
        new("manifests is a string naming the child", c => $$"""{"manifests":"{{c}}"}""", ChildKept: false),
        new("manifests entries are strings", c => $$"""{"manifests":["{{c}}"]}""", ChildKept: false),

        // Not JSON: malformed, and every sha256:<64 hex> in the text still counts.
        new("truncated mid-digest", c => $$"""{"manifests":[{"digest":"{{c[..40]}}""", ChildKept: false, Malformed: true),
        new("truncated after a complete digest", c => $$"""{"manifests":[{"digest":"{{c}}"}""", ChildKept: true, Malformed: true),
        new("truncated after a complete \\u-escaped digest", c => $$"""{"manifests":[{"digest":"sha256\u003a{{Hex(c)}}"}""", ChildKept: true, Malformed: true),
        new("// line comment", c => "// pushed by hand\n" + Index(Quoted(c)), ChildKept: true, Malformed: true),
        new("/* block */ comment", c => $$"""{"manifests":[/* amd64 */{"digest":"{{c}}"}]}""", ChildKept: true, Malformed: true),
        new("trailing commas", c => $$"""{"manifests":[{"digest":"{{c}}",},],}""", ChildKept: true, Malformed: true),
        new("single quotes", c => $$"""{'manifests':[{'digest':'{{c}}'}]}""", ChildKept: true, Malformed: true),
        new("NaN as a value", c => $$"""{"manifests":[{"digest":"{{c}}","size":NaN}]}""", ChildKept: true, Malformed: true),
        new("65 hex digits in damaged text (its first 64 count)", c => $$"""{"manifests":[{"digest":"{{c}}0"}""", ChildKept: true, Malformed: true),
        new("byte order mark at the start", c => "\uFEFF" + Index(Quoted(c)), ChildKept: true, Malformed: true),
        new("lone surrogate escape in the digest", c => Index(Quoted(c + "\\ud800")), ChildKept: true, Malformed: true),
        new("10 MB truncated document, the digest near the end", c => $$"""{"annotations":{"pad":"{{new string('x', 10 * 1024 * 1024)}}"},"manifests":[{"digest":"{{c}}"}""", ChildKept: true, Malformed: true),
        // Valid JSON deeper than the parser reads (256 levels) is read fail-safe: every digest in its text counts.
        new("10,000 levels of [ beside the manifests", c => $$"""{"manifests":[{"digest":"{{c}}"}],"a":{{Nested(10_000)}}}""", ChildKept: true, Malformed: true),
        new("10,000 levels of {\"a\": around the manifests", c => string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + Index(Quoted(c)) + new string('}', 10_000), ChildKept: true, Malformed: true),
        new("10,000 levels of [ beside a \\u-escaped digest", c => $$"""{"manifests":[{"digest":"sha256\u003a{{Hex(c)}}"}],"a":{{Nested(10_000)}}}""", ChildKept: true, Malformed: true),

        // container.manifest.reference properties with odd values (the parent's metadata is NULL).
        new("reference property in upper case", _ => null, ChildKept: true, ReferenceProperty: c => c.ToUpperInvariant()),
        new("reference property with whitespace around", _ => null, ChildKept: true, ReferenceProperty: c => $" {c}\n"),
        new("reference property empty", _ => null, ChildKept: false, ReferenceProperty: _ => ""),
        new("reference property not a digest", _ => null, ChildKept: false, ReferenceProperty: _ => "latest"),
        new("reference property with the hex alone", _ => null, ChildKept: false, ReferenceProperty: Hex),
    ];

    [TestCaseSource(nameof(Corpus))]
    public async Task Each_metadata_value_keeps_exactly_what_it_names_and_deletes_nothing_else(Entry entry)
    {
        var registry = await ArrangeAsync(entry.Metadata(Child), entry.ReferenceProperty?.Invoke(Child));
        var expectedDeleted = entry.ChildKept ? new[] { registry.Decoy } : [registry.Child, registry.Decoy];
        var expectedMalformed = entry.Malformed ? new[] { registry.Parent } : [];
        var before = await h.SnapshotAsync();
        var bystander = await BystanderRowsAsync();

        var dryRun = await h.CleanupAsync(dryRun: true);
        var afterDryRun = await h.SnapshotAsync();
        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(dryRun.Candidates.Where(c => c.Decision == DanglingImageDecision.Delete).Select(c => c.VersionId), Is.EquivalentTo(expectedDeleted), "the dry run's deletions");
            Assert.That(dryRun.MalformedVersionIds, Is.EqualTo(expectedMalformed), "the dry run's malformed versions");
            Assert.That(afterDryRun, Is.EqualTo(before), "a dry run deletes nothing");
            Assert.That(report.DeletedVersions, Is.EqualTo(expectedDeleted.Length), "the real run's deletions");
            Assert.That(report.MalformedVersionIds, Is.EqualTo(expectedMalformed), "the real run's malformed versions");
            Assert.That(await h.VersionExistsAsync(registry.Child), Is.EqualTo(entry.ChildKept), "the child");
            Assert.That(await h.VersionExistsAsync(registry.Decoy), Is.False, "the decoy nothing names");
            Assert.That(await h.VersionExistsAsync(registry.Parent), Is.True, "the parent, which the tag keeps");
            Assert.That(await h.VersionExistsAsync(registry.Tag), Is.True, "the tag");
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version"), Is.EqualTo(registry.Versions - expectedDeleted.Length));
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_property WHERE ref_type = 0 AND ref_id = ANY($1)", new[] { registry.Tag, registry.Parent }),
                Is.EqualTo(entry.ReferenceProperty is null ? 1 : 2), "the tag's and the parent's properties");
            Assert.That(await BystanderRowsAsync(), Is.EqualTo(bystander), "another repository's rows");
        });
    }

    /// <summary>Values PostgreSQL or Npgsql refuse to store: the write fails, and nothing changes.</summary>
    public static IEnumerable<TestCaseData> Unwritable()
    {
        yield return Case("a NUL character (PostgreSQL text cannot hold one)", Write(c => Index(Quoted(c)) + "\0"), typeof(PostgresException));
        yield return Case("invalid UTF-8 bytes (the UTF8 database refuses them)", WriteBytes(c => [.. Encoding.UTF8.GetBytes(Index(Quoted(c))), 0xFF, 0xFE]), typeof(PostgresException));
        yield return Case("a .NET string with a lone surrogate (Npgsql cannot encode it)", Write(c => Index(Quoted(c + "\ud800"))), typeof(EncoderFallbackException));

        static TestCaseData Case(string name, Func<CleanupHarness, long, string, Task> write, Type refusal)
            => new TestCaseData(write, refusal).SetArgDisplayNames(name);

        static Func<CleanupHarness, long, string, Task> Write(Func<string, string> metadata)
            => (h, parent, child) => h.ExecuteAsync("UPDATE package_version SET metadata_json = $2 WHERE id = $1", parent, metadata(child));

        static Func<CleanupHarness, long, string, Task> WriteBytes(Func<string, byte[]> metadata)
            => (h, parent, child) => h.ExecuteAsync("UPDATE package_version SET metadata_json = convert_from($2, 'UTF8') WHERE id = $1", parent, metadata(child));
    }

    [TestCaseSource(nameof(Unwritable))]
    public async Task A_value_the_database_cannot_hold_is_refused_and_the_old_metadata_still_keeps_the_child(
        Func<CleanupHarness, long, string, Task> write, Type refusal)
    {
        var registry = await ArrangeAsync(Index(Quoted(Child)), null);
        var before = await h.SnapshotAsync();
        var metadata = await h.ScalarAsync<string>("SELECT metadata_json FROM package_version WHERE id = $1", registry.Parent);

        var thrown = Assert.CatchAsync(() => write(h, registry.Parent, Child));
        var report = await h.CleanupAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(thrown, Is.InstanceOf(refusal), thrown?.ToString());
            Assert.That(thrown is PostgresException { SqlState: "22021" } or not PostgresException, Is.True, "invalid byte sequence for encoding UTF8");
            Assert.That(await h.ScalarAsync<string>("SELECT metadata_json FROM package_version WHERE id = $1", registry.Parent), Is.EqualTo(metadata));
            Assert.That(report.MalformedVersionIds, Is.Empty);
            Assert.That(await h.VersionExistsAsync(registry.Child), Is.True, "the child the stored metadata names");
            Assert.That(await h.VersionExistsAsync(registry.Decoy), Is.False);
            Assert.That(await h.CountAsync("SELECT count(*) FROM package_version"), Is.EqualTo(registry.Versions - 1));
            Assert.That(before, Is.Not.Empty);
        });
    }

    private static string Child { get; } = CleanupHarness.Digest("child");

    private sealed record Registry(long Tag, long Parent, long Child, long Decoy, long Versions);

    /// <summary>
    /// Another repository pushed through the write path (a tag index and its platform manifest, both old), then
    /// by raw SQL: an old child and decoy, an old parent digest version with the metadata under test, and an
    /// old tag whose reference property keeps the parent alive.
    /// </summary>
    private async Task<Registry> ArrangeAsync(string? metadata, string? referenceProperty)
    {
        var platform = await h.PushPlatformAsync("corpus/bystander", h.Old);
        await h.PushIndexAsync("corpus/bystander", "v1", h.Old, platform);

        var package = await h.PackageAsync("corpus/app");
        var child = await h.VersionAsync(package, Child, h.Old, null);
        var decoy = await h.VersionAsync(package, CleanupHarness.Digest("decoy"), h.Old, null);
        var parentDigest = CleanupHarness.Digest("parent");
        var parent = await h.VersionAsync(package, parentDigest, h.Old, metadata);
        var tag = await h.VersionAsync(package, "latest", h.Old, null);
        await h.PropertyAsync(0, tag, ContainerLayout.ReferenceProperty, parentDigest);
        if (referenceProperty is not null)
        {
            await h.PropertyAsync(0, parent, ContainerLayout.ReferenceProperty, referenceProperty);
        }

        return new Registry(tag, parent, child, decoy, await h.CountAsync("SELECT count(*) FROM package_version"));
    }

    private async Task<string> BystanderRowsAsync()
        => await h.ScalarAsync<string>("""
            SELECT concat_ws(' ', count(DISTINCT v.id), count(DISTINCT f.id), count(DISTINCT vp.id), count(DISTINCT fp.id))
            FROM package p JOIN package_version v ON v.package_id = p.id
            LEFT JOIN package_file f ON f.version_id = v.id
            LEFT JOIN package_property vp ON vp.ref_type = 0 AND vp.ref_id = v.id
            LEFT JOIN package_property fp ON fp.ref_type = 1 AND fp.ref_id = f.id
            WHERE p.lower_name = 'corpus/bystander'
            """) ?? string.Empty;

    /// <summary>An OCI image index with one entry whose digest is the JSON value <paramref name="digest"/>.</summary>
    private static string Index(string digest)
        => $$$"""{"schemaVersion":2,"mediaType":"{{{ImageMediaTypes.OciIndex}}}","manifests":[{"mediaType":"{{{ImageMediaTypes.OciManifest}}}","digest":{{{digest}}},"size":1234,"platform":{"architecture":"amd64","os":"linux"}}]}""";

    private static string Quoted(string text) => $"\"{text}\"";

    private static string Hex(string digest) => digest["sha256:".Length..];

    private static string MixedCase(string text) => string.Concat(text.Select((ch, i) => i % 2 == 0 ? char.ToUpperInvariant(ch) : ch));

    private static string Nested(int levels) => new string('[', levels) + new string(']', levels);
}
