using System.Text.Json.Nodes;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// A tag pushed again with new content keeps its old manifest while an index still names it: clients that find
/// a manifest by digest (<c>crane index append</c>, <c>buildx imagetools create</c>) do not push it again, so
/// without this every pull of that platform would get MANIFEST_UNKNOWN. The old manifest and its files move to a
/// version named by its digest, which the index keeps and the dangling-image cleanup judges. A retention rule's
/// untag is the same move for a batch of tags that get no new manifest.
/// </summary>
internal static class TagRepush
{
    // Of the tags $1, those whose manifest (other than $2) an index of the package that stays names, or the index
    // being pushed ($3) does, and that no version staying has; one tag per manifest. Each lookup goes through an
    // index on lower(value) (IDX_package_property_manifest_reference_value, IDX_package_property_container_digest_value),
    // so the cost does not grow with the package.
    private static readonly string NamedOldManifests = $"""
        SELECT DISTINCT ON (v.package_id, lower(d.value)) v.id, v.package_id, lower(d.value), v.created_unix, v.metadata_json
        FROM package_version v
        JOIN package_file f ON f.version_id = v.id AND f.is_lead
        JOIN package_property d ON d.ref_type = {PropertyRefType.File:D} AND d.ref_id = f.id AND d.name = '{ContainerLayout.DigestProperty}'
        WHERE v.id = ANY($1) AND lower(d.value) <> $2
        AND (lower(d.value) = ANY($3) OR EXISTS (
                SELECT 1 FROM package_property r JOIN package_version i ON i.id = r.ref_id
                WHERE r.ref_type = {PropertyRefType.Version:D} AND r.name = '{ContainerLayout.ReferenceProperty}' AND lower(r.value) = lower(d.value)
                AND i.package_id = v.package_id AND NOT (i.id = ANY($1))))
        AND NOT EXISTS (
                SELECT 1 FROM package_version o
                WHERE o.package_id = v.package_id AND o.lower_version = lower(d.value) AND NOT o.is_internal AND NOT (o.id = ANY($1)))
        AND NOT EXISTS (
                SELECT 1 FROM package_property od
                JOIN package_file lf ON lf.id = od.ref_id AND lf.is_lead
                JOIN package_version o ON o.id = lf.version_id
                WHERE od.ref_type = {PropertyRefType.File:D} AND od.name = '{ContainerLayout.DigestProperty}' AND lower(od.value) = lower(d.value)
                AND o.package_id = v.package_id AND NOT o.is_internal AND NOT (o.id = ANY($1)))
        ORDER BY v.package_id, lower(d.value), v.id
        """;

    // The manifest's files and the version properties that describe the manifest itself (an index's entries, the
    // subject it refers to) go; the tag's own marker stays with the tag.
    private static readonly string MoveToDigestVersion = $"""
        WITH f AS (UPDATE package_file SET version_id = $2 WHERE version_id = $1 RETURNING 1)
        UPDATE package_property SET ref_id = $2
        WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = $1
          AND name IN ('{ContainerLayout.ReferenceProperty}', '{ContainerLayout.SubjectProperty}')
        """;

    /// <summary>
    /// Before tag <paramref name="versionId"/> gets the manifest <paramref name="digest"/>: when an index of the package
    /// (or the one being pushed, <paramref name="entries"/>) names the tag's old manifest and no other version has
    /// it, the old manifest moves to its digest version. Runs under the tag's row lock, which index pushes'
    /// FOR KEY SHARE waits for, so it sees every committed index.
    /// </summary>
    public static Task KeepNamedManifestAsync(
        NpgsqlConnection connection, long packageId, long versionId, string digest, IReadOnlyList<string> entries, CancellationToken cancellationToken)
        => KeepNamedManifestsAsync(connection, [versionId], digest, entries, cancellationToken);

    /// <summary>
    /// Before the tags <paramref name="versionIds"/> (row-locked by the caller) are removed: each manifest of theirs
    /// that an index of its package still names, and that no version staying has, moves to its digest version. A
    /// manifest two of these tags share moves once; an index among the tags themselves does not count.
    /// </summary>
    public static Task KeepNamedManifestsAsync(NpgsqlConnection connection, IReadOnlyList<long> versionIds, CancellationToken cancellationToken)
        => KeepNamedManifestsAsync(connection, versionIds, digest: string.Empty, entries: [], cancellationToken);

    private static async Task KeepNamedManifestsAsync(
        NpgsqlConnection connection, IReadOnlyList<long> versionIds, string digest, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        if (versionIds.Count == 0)
        {
            return;
        }

        var named = await PackagesSql.ListAsync(connection, null, NamedOldManifests,
            r => (Id: r.GetInt64(0), PackageId: r.GetInt64(1), Digest: r.GetString(2), Created: r.GetInt64(3), Metadata: r.IsDBNull(4) ? null : r.GetString(4)),
            cancellationToken, versionIds.ToArray(), digest, entries.Select(e => e.ToLowerInvariant()).ToArray());
        foreach (var (id, packageId, oldDigest, oldCreated, oldMetadata) in named)
        {
            // Pushed by digest meanwhile (ON CONFLICT): that version has the manifest, and this tag's files go as usual.
            if (await PackagesSql.ScalarAsync<long?>(connection, null, """
                INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
                VALUES ($1, $2, $2, $3, $4) ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
                """, cancellationToken, packageId, oldDigest, oldCreated, Untagged(oldMetadata)) is long kept)
            {
                await PackagesSql.ExecuteAsync(connection, null, MoveToDigestVersion, cancellationToken, id, kept);
            }
        }
    }

    private static string? Untagged(string? metadata)
    {
        try
        {
            if (metadata is not null && JsonNode.Parse(metadata) is JsonObject document)
            {
                document["is_tagged"] = false;
                return document.ToJsonString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Kept as it is: the cleanup reads damaged metadata safely.
        }

        return metadata;
    }
}
