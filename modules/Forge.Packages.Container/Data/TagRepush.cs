using System.Text.Json.Nodes;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// A tag pushed again with new content keeps its old manifest while an index still names it: clients that find
/// a manifest by digest (<c>crane index append</c>, <c>buildx imagetools create</c>) do not push it again, so
/// without this every pull of that platform would get MANIFEST_UNKNOWN. The old manifest and its files move to a
/// version named by its digest, which the index keeps and the dangling-image cleanup judges.
/// </summary>
internal static class TagRepush
{
    // A version of the package other than the tag ($2) that has this manifest: named by its digest, or with it as lead file.
    private static readonly string OtherVersionHasManifest = $"""
        EXISTS (SELECT 1 FROM package_version o WHERE o.package_id = $1 AND o.id <> v.id AND NOT o.is_internal AND (o.lower_version = lower(d.value)
                OR EXISTS (SELECT 1 FROM package_file of
                           JOIN package_property od ON od.ref_type = {PropertyRefType.File:D} AND od.ref_id = of.id AND od.name = '{ContainerLayout.DigestProperty}'
                           WHERE of.version_id = o.id AND of.is_lead AND lower(od.value) = lower(d.value))))
        """;

    private static readonly string NamedOldManifest = $"""
        SELECT lower(d.value), v.created_unix, v.metadata_json FROM package_version v
        JOIN package_file f ON f.version_id = v.id AND f.is_lead
        JOIN package_property d ON d.ref_type = {PropertyRefType.File:D} AND d.ref_id = f.id AND d.name = '{ContainerLayout.DigestProperty}'
        WHERE v.id = $2 AND lower(d.value) <> $3
        AND (lower(d.value) = ANY($4) OR EXISTS (
                SELECT 1 FROM package_property r JOIN package_version i ON i.id = r.ref_id
                WHERE r.ref_type = {PropertyRefType.Version:D} AND r.name = '{ContainerLayout.ReferenceProperty}' AND lower(r.value) = lower(d.value)
                AND i.package_id = $1 AND i.id <> v.id))
        AND NOT {OtherVersionHasManifest}
        LIMIT 1
        """;

    private static readonly string MoveToDigestVersion = $"""
        WITH f AS (UPDATE package_file SET version_id = $2 WHERE version_id = $1 RETURNING 1)
        UPDATE package_property SET ref_id = $2
        WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = $1 AND name = '{ContainerLayout.ReferenceProperty}'
        """;

    /// <summary>
    /// Before tag <paramref name="versionId"/> gets the manifest <paramref name="digest"/>: when an index of the package
    /// (or the one being pushed, <paramref name="entries"/>) names the tag's old manifest and no other version has
    /// it, the old manifest moves to its digest version. Runs under the tag's row lock, which index pushes'
    /// FOR KEY SHARE waits for, so it sees every committed index.
    /// </summary>
    public static async Task KeepNamedManifestAsync(
        NpgsqlConnection connection, long packageId, long versionId, string digest, IReadOnlyList<string> entries, CancellationToken cancellationToken)
    {
        var old = await PackagesSql.ListAsync(connection, null, NamedOldManifest,
            r => (Digest: r.GetString(0), Created: r.GetInt64(1), Metadata: r.IsDBNull(2) ? null : r.GetString(2)),
            cancellationToken, packageId, versionId, digest, entries.Select(e => e.ToLowerInvariant()).ToArray());
        if (old is not [var (oldDigest, oldCreated, oldMetadata)])
        {
            return;
        }

        // Pushed by digest meanwhile (ON CONFLICT): that version has the manifest, and this tag's files go as usual.
        if (await PackagesSql.ScalarAsync<long?>(connection, null, """
            INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json)
            VALUES ($1, $2, $2, $3, $4) ON CONFLICT (package_id, lower_version) DO NOTHING RETURNING id
            """, cancellationToken, packageId, oldDigest, oldCreated, Untagged(oldMetadata)) is long kept)
        {
            await PackagesSql.ExecuteAsync(connection, null, MoveToDigestVersion, cancellationToken, versionId, kept);
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
