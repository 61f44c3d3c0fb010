using Forge.Packages.Rules;
using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>
/// What the owners' retention rules may do to container images. A rule passes over the tag <c>latest</c> and every
/// digest version (those are the dangling image cleanup's, under its window and locks), and removing a tag is an
/// untag: the tag goes, and when an index still names its manifest and no other version has it, the manifest
/// stays as a digest version, as a re-pushed tag keeps it (<see cref="TagRepush"/>). A rule can never break an image.
/// </summary>
public sealed class ContainerRetention : IPackageTypeRetention
{
    public const string LatestTag = "latest";

    private static readonly string DeleteVersions = $"""
        WITH f AS (DELETE FROM package_file WHERE version_id = ANY($1) RETURNING id),
        fp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.File:D} AND ref_id IN (SELECT id FROM f) RETURNING 1),
        vp AS (DELETE FROM package_property WHERE ref_type = {PropertyRefType.Version:D} AND ref_id = ANY($1) RETURNING 1)
        DELETE FROM package_version WHERE id = ANY($1)
        """;

    public string PackageType => ContainerLayout.PackageType;

    public RuleReason? PassOver(string lowerVersion)
        => lowerVersion == LatestTag ? RuleReason.Latest
            : ContainerLayout.IsDigestVersion(lowerVersion) ? RuleReason.Digest
            : null;

    public async Task<IReadOnlyList<long>> RemoveAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RuleCandidate> versions, CancellationToken cancellationToken)
    {
        if (versions.Count == 0)
        {
            return [];
        }

        // Locked in id order, as pushes lock; only rows still as they were judged go: a tag pushed again since has a
        // new xmin (and a new created_unix) and the push wins.
        var expected = versions.ToDictionary(v => v.Id, v => v.Revision);
        var locked = await PackagesSql.ListAsync(connection, transaction,
            "SELECT id, xmin FROM package_version WHERE id = ANY($1) AND NOT is_internal ORDER BY id FOR UPDATE",
            r => (Id: r.GetInt64(0), Revision: r.GetFieldValue<uint>(1)), cancellationToken, expected.Keys.ToArray());
        var ids = locked.Where(v => expected[v.Id] == v.Revision).Select(v => v.Id).ToArray();
        if (ids.Length > 0)
        {
            // No new manifest takes the tags' place: any manifest of theirs that an index still names is kept.
            await TagRepush.KeepNamedManifestsAsync(connection, ids, cancellationToken);
            await PackagesSql.ExecuteAsync(connection, transaction, DeleteVersions, cancellationToken, ids);
        }

        return ids;
    }
}
