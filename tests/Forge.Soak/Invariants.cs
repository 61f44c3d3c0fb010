using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace Forge.Soak;

/// <summary>
/// The promises of docs/cleanup.md, checked on the database and the content store after a scenario. Written
/// apart from the cleanup's own code (its planner and metadata reader are what is under test): references
/// are read here with <see cref="JsonDocument"/> and a regular expression, reachability is a plain walk.
/// Each method returns the violations it found, one line each; none means the invariant held.
/// </summary>
public static partial class Invariants
{
    /// <summary>Invariants 1 to 3: nothing a tag needs is missing, no index names a missing version, nothing is half deleted or orphaned.</summary>
    public static async Task<List<string>> CheckAsync(NpgsqlDataSource db, string storeRoot, WriterLog? log)
    {
        var registry = await RegistryState.ReadAsync(db);
        var violations = new List<string>();
        violations.AddRange(registry.TagClosuresMissing());
        violations.AddRange(registry.DanglingReferences());
        if (log is not null)
        {
            violations.AddRange(registry.PublishedTagsMissing(log));
        }

        violations.AddRange(await OrphansAsync(db));
        violations.AddRange(await ContentMissingAsync(db, storeRoot));
        return violations;
    }

    /// <summary>
    /// Invariants 1 (on the state), 2 and 3 while writers and cleanups run: each read is one statement, so
    /// one snapshot. Left out until the end: the writers' log (a push may have committed and not yet been
    /// logged) and content files (a row read just before its blob's file was removed).
    /// </summary>
    public static async Task<List<string>> CheckWhileRunningAsync(NpgsqlDataSource db)
    {
        var registry = await RegistryState.ReadAsync(db);
        var violations = registry.TagClosuresMissing().Concat(registry.DanglingReferences()).ToList();
        violations.AddRange(await OrphansAsync(db));
        return violations;
    }

    /// <summary>Invariant 4, after the writers stopped and a run with <c>--older-than 0s</c> of both cleanups: nothing unreachable is left.</summary>
    public static async Task<List<string>> CheckNothingLeaksAsync(NpgsqlDataSource db, string storeRoot)
    {
        var registry = await RegistryState.ReadAsync(db);
        var violations = registry.UnreachableDigestVersions().ToList();
        violations.AddRange(await CountsAsync(db,
            ("package_blob rows no package_file uses", "SELECT count(*) FROM package_blob b WHERE NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)"),
            ("packages without a version", "SELECT count(*) FROM package p WHERE NOT EXISTS (SELECT 1 FROM package_version v WHERE v.package_id = p.id)"),
            ("content files still queued for removal", "SELECT count(*) FROM forge_content_removal")));
        var known = new HashSet<string>(await ColumnAsync(db, "SELECT hash_sha256 FROM package_blob"), StringComparer.Ordinal);
        var stray = Directory.Exists(storeRoot)
            ? Directory.EnumerateFiles(storeRoot, "*", SearchOption.AllDirectories)
                .Where(f => !IsScratch(storeRoot, f) && !known.Contains(Path.GetFileName(f))).ToList()
            : [];
        if (stray.Count > 0)
        {
            violations.Add($"{stray.Count} content file(s) without a package_blob row, e.g. {stray[0]}");
        }

        return violations;
    }

    /// <summary>Invariant 3: rows whose owner is gone, and versions or files missing part of themselves.</summary>
    public static Task<List<string>> OrphansAsync(NpgsqlDataSource db) => CountsAsync(db,
        ("package_file rows without their version", "SELECT count(*) FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_version v WHERE v.id = f.version_id)"),
        ("version properties (ref_type 0) without their version", "SELECT count(*) FROM package_property p WHERE p.ref_type = 0 AND NOT EXISTS (SELECT 1 FROM package_version v WHERE v.id = p.ref_id)"),
        ("file properties (ref_type 1) without their file", "SELECT count(*) FROM package_property p WHERE p.ref_type = 1 AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.id = p.ref_id)"),
        ("package properties (ref_type 2) without their package", "SELECT count(*) FROM package_property p WHERE p.ref_type = 2 AND NOT EXISTS (SELECT 1 FROM package k WHERE k.id = p.ref_id)"),
        ("package_file rows whose blob is gone", "SELECT count(*) FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_blob b WHERE b.id = f.blob_id)"),
        ("package_version rows without their package", "SELECT count(*) FROM package_version v WHERE NOT EXISTS (SELECT 1 FROM package k WHERE k.id = v.package_id)"),
        // Half deleted: every image version the write path makes has its manifest.json, every file its digest property.
        ("container versions without their manifest.json (half deleted)", """
            SELECT count(*) FROM package_version v JOIN package k ON k.id = v.package_id AND k.type = 'container'
            WHERE v.lower_version <> '_upload' AND NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id AND f.lower_name = 'manifest.json')
            """),
        ("container files without their container.digest property (half deleted)", """
            SELECT count(*) FROM package_file f JOIN package_version v ON v.id = f.version_id JOIN package k ON k.id = v.package_id AND k.type = 'container'
            WHERE v.lower_version <> '_upload' AND NOT EXISTS (SELECT 1 FROM package_property p WHERE p.ref_type = 1 AND p.ref_id = f.id AND p.name = 'container.digest')
            """));

    /// <summary>Every package_blob row has its content in the store (what <c>packages fsck</c> calls data loss).</summary>
    public static async Task<List<string>> ContentMissingAsync(NpgsqlDataSource db, string storeRoot)
    {
        var missing = (await ColumnAsync(db, "SELECT hash_sha256 FROM package_blob"))
            .Where(h => !File.Exists(Path.Combine(storeRoot, h[..2], h[2..4], h))).ToList();
        return missing.Count == 0 ? [] : [$"{missing.Count} package_blob row(s) without their content file, e.g. sha256:{missing[0]}"];
    }

    /// <summary>The digests a version's metadata names: <c>manifests[].digest</c> when it is JSON, every <c>sha256:&lt;64 hex&gt;</c> when it is not.</summary>
    public static IEnumerable<string> MetadataReferences(string? metadata)
    {
        if (string.IsNullOrEmpty(metadata))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(metadata, new JsonDocumentOptions { MaxDepth = 4096 });
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("manifests", out var manifests)
                || manifests.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return manifests.EnumerateArray()
                .Where(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String)
                .Select(m => m.GetProperty("digest").GetString()!.ToLowerInvariant())
                .ToList();
        }
        catch (JsonException)
        {
            return DigestText().Matches(metadata).Select(m => m.Value.ToLowerInvariant()).ToList();
        }
    }

    private static bool IsScratch(string storeRoot, string file)
    {
        var relative = Path.GetRelativePath(storeRoot, file);
        return relative.StartsWith("tmp/", StringComparison.Ordinal) || relative.StartsWith("uploads/", StringComparison.Ordinal);
    }

    private static async Task<List<string>> CountsAsync(NpgsqlDataSource db, params (string What, string Sql)[] checks)
    {
        var violations = new List<string>();
        foreach (var (what, sql) in checks)
        {
            await using var command = db.CreateCommand(sql);
            var count = (long)(await command.ExecuteScalarAsync())!;
            if (count > 0)
            {
                violations.Add($"{count} {what}");
            }
        }

        return violations;
    }

    private static async Task<List<string>> ColumnAsync(NpgsqlDataSource db, string sql)
    {
        var values = new List<string>();
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0).Trim());
        }

        return values;
    }

    [GeneratedRegex("sha256:[0-9a-f]{64}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DigestText();
}

/// <summary>One container version as the invariants see it.</summary>
internal sealed record VersionState(long Id, long PackageId, string PackageName, string Name, List<string> References)
{
    public bool IsDigest => Name.StartsWith("sha256:", StringComparison.Ordinal);
}

/// <summary>Every container version with what it references, read in one snapshot.</summary>
internal sealed class RegistryState
{
    private readonly List<VersionState> versions;
    private readonly Dictionary<(long PackageId, string Name), VersionState> byName;

    private RegistryState(List<VersionState> versions)
    {
        this.versions = versions;
        byName = versions.ToDictionary(v => (v.PackageId, v.Name));
    }

    public static async Task<RegistryState> ReadAsync(NpgsqlDataSource db)
    {
        var versions = new List<VersionState>();
        await using var command = db.CreateCommand("""
            SELECT v.id, v.package_id, k.lower_name, lower(v.lower_version), v.metadata_json,
                   ARRAY(SELECT lower(btrim(p.value)) FROM package_property p
                         WHERE p.ref_type = 0 AND p.ref_id = v.id AND p.name = 'container.manifest.reference')
            FROM package_version v JOIN package k ON k.id = v.package_id
            WHERE k.type = 'container' AND v.lower_version <> '_upload'
            """);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var metadata = reader.IsDBNull(4) ? null : reader.GetString(4);
            var references = Invariants.MetadataReferences(metadata).Concat(reader.GetFieldValue<string[]>(5)).Distinct(StringComparer.Ordinal).ToList();
            versions.Add(new VersionState(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), references));
        }

        return new RegistryState(versions);
    }

    /// <summary>Invariant 1 on the final state: every version a tag reaches, transitively within its package, exists.</summary>
    public IEnumerable<string> TagClosuresMissing()
    {
        foreach (var tag in versions.Where(v => !v.IsDigest))
        {
            foreach (var (missing, from) in Walk(tag).Missing)
            {
                yield return $"tag {tag.PackageName}:{tag.Name} needs {missing} (named by version {from}), which is not in its package";
            }
        }
    }

    /// <summary>Invariant 2: no version (index by tag or by digest) names a version that is not in its package.</summary>
    public IEnumerable<string> DanglingReferences()
        => from v in versions
           from r in v.References
           where !byName.ContainsKey((v.PackageId, r))
           select $"version {v.Id} ({v.PackageName}@{v.Name}) references {r}, which is not in its package";

    /// <summary>Invariant 1 on the writers' log: each tag they published is there, with everything it needed.</summary>
    public IEnumerable<string> PublishedTagsMissing(WriterLog log)
    {
        var packages = versions.GroupBy(v => v.PackageName).ToDictionary(g => g.Key, g => g.First().PackageId);
        foreach (var published in log.Tags)
        {
            if (!packages.TryGetValue(published.Repository, out var packageId) || !byName.TryGetValue((packageId, published.Tag), out var tag))
            {
                yield return $"tag {published.Repository}:{published.Tag}, published as {published.Digest}, is gone";
                continue;
            }

            if (!tag.References.Order().SequenceEqual(published.Entries.Select(e => e.ToLowerInvariant()).Distinct().Order()))
            {
                yield return $"tag {published.Repository}:{published.Tag} does not reference what its last push published ({published.Digest})";
            }

            foreach (var need in published.Needs.Where(n => !byName.ContainsKey((packageId, n.ToLowerInvariant()))))
            {
                yield return $"tag {published.Repository}:{published.Tag} ({published.Digest}) needs {need}, which is gone";
            }
        }
    }

    /// <summary>Invariant 4: digest versions no tag reaches (after a run with <c>--older-than 0s</c> there must be none).</summary>
    public IEnumerable<string> UnreachableDigestVersions()
    {
        var reached = new HashSet<long>();
        foreach (var tag in versions.Where(v => !v.IsDigest))
        {
            reached.UnionWith(Walk(tag).Reached);
        }

        return versions.Where(v => v.IsDigest && !reached.Contains(v.Id))
            .Select(v => $"digest version {v.Id} ({v.PackageName}@{v.Name}) is reachable from no tag and was left behind");
    }

    private (HashSet<long> Reached, List<(string Missing, long From)> Missing) Walk(VersionState root)
    {
        var reached = new HashSet<long> { root.Id };
        var missing = new List<(string, long)>();
        var pending = new Stack<VersionState>([root]);
        while (pending.TryPop(out var version))
        {
            foreach (var reference in version.References)
            {
                if (!byName.TryGetValue((version.PackageId, reference), out var child))
                {
                    missing.Add((reference, version.Id));
                }
                else if (reached.Add(child.Id))
                {
                    pending.Push(child);
                }
            }
        }

        return (reached, missing);
    }
}
