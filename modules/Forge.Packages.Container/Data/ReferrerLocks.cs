using Forge.Packages.Container.Cleanup;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// Rule 8 of docs/cleanup.md for subjects, on the writer's side: a push holds (<c>FOR KEY SHARE</c>) the versions of its
/// package that name the pushed manifest as their subject, and cosign's referrer tags named after its digest, until
/// it commits. A cleanup batch deleting such a referrer then waits for the push, and its re-check sees the subject;
/// a batch that locked the referrer first has deleted it by the time the lock is granted, and the push lands
/// without it.
/// </summary>
internal static class ReferrerLocks
{
    // Referrers through the index on lower(value) of the subject property, referrer tags through the package's
    // unique index on lower_version: a look-up either way, whatever the package's size.
    private static readonly string LockSql = $"""
        SELECT v.id FROM package_version v
        WHERE v.package_id = $1 AND v.id IN (
            SELECT s.ref_id FROM package_property s
            WHERE s.ref_type = {PropertyRefType.Version:D} AND s.name = '{ContainerLayout.SubjectProperty}' AND lower(s.value) = $2
            UNION ALL
            SELECT t.id FROM package_version t WHERE t.package_id = $1 AND t.lower_version = ANY($3))
        ORDER BY v.id FOR KEY SHARE OF v
        """;

    /// <summary>Holds the referrers of <paramref name="digest"/> in the package for the rest of the transaction.</summary>
    public static async Task LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long packageId, string digest, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(connection, transaction, LockSql, r => r.GetInt64(0), cancellationToken,
            packageId, digest.ToLowerInvariant(), CosignReferrerTags.NamesFor(digest));
}
