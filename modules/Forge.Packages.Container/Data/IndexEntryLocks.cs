using Forge.Packages.Container.Registry;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// Rule 8 of docs/cleanup.md on the writer's side: an index push holds the versions it names
/// (<c>FOR KEY SHARE</c>) until it commits. A cleanup that locked them first has deleted them by the time the
/// lock is granted, and the push fails with MANIFEST_BLOB_UNKNOWN instead of publishing an index with a missing
/// child; a cleanup that comes later sees the index in its re-check.
/// </summary>
internal static class IndexEntryLocks
{
    // The lead file's digest property of version v, when it is one of the wanted digests ($2).
    private static readonly string LeadDigestOf = $"""
        SELECT lower(p.value) FROM package_file f
        JOIN package_property p ON p.ref_type = {PropertyRefType.File:D} AND p.ref_id = f.id AND p.name = '{ContainerLayout.DigestProperty}'
        WHERE f.version_id = v.id AND f.is_lead AND lower(p.value) = ANY($2)
        """;

    private static readonly string LockSql = $"""
        SELECT CASE WHEN v.lower_version = ANY($2) THEN v.lower_version ELSE ({LeadDigestOf} LIMIT 1) END,
               (SELECT coalesce(sum(b.size), 0)::bigint FROM package_file f JOIN package_blob b ON b.id = f.blob_id WHERE f.version_id = v.id)
        FROM package_version v
        WHERE v.package_id = $1 AND NOT v.is_internal AND (v.lower_version = ANY($2) OR EXISTS ({LeadDigestOf}))
        ORDER BY v.id FOR KEY SHARE OF v
        """;

    /// <summary>
    /// Holds the versions the entries name: a version named by the digest, or a version (a tag) whose manifest has
    /// it. Returns each entry's size, the sum of its version's blob sizes; throws ManifestBlobUnknown for an entry
    /// the package does not have.
    /// </summary>
    public static async Task<Dictionary<string, long>> LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long packageId, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        var wanted = entries.Select(e => e.ToLowerInvariant()).Distinct().ToArray();
        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        // Twice: the first pass waits for the locks of whoever changes these versions (a re-pushed tag, a
        // delete), but reads their files in the snapshot from before the wait; the second, with the versions
        // held, reads what they have now.
        for (var pass = 1; pass <= 2; pass++)
        {
            found.Clear();
            var rows = await PackagesSql.ListAsync(connection, transaction, LockSql,
                r => (Digest: r.IsDBNull(0) ? null : r.GetString(0), Size: r.GetInt64(1)), cancellationToken, packageId, wanted);
            foreach (var (digest, size) in rows)
            {
                if (digest is not null)
                {
                    found.TryAdd(digest, size);
                }
            }
        }

        if (wanted.FirstOrDefault(d => !found.ContainsKey(d)) is { } missing)
        {
            throw RegistryFailureException.ManifestBlobUnknown(missing);
        }

        return found;
    }
}
