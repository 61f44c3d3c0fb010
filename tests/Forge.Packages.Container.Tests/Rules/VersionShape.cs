using System.Globalization;
using Forge.Packages.Schema;
using Forge.Testing;

namespace Forge.Packages.Container.Tests.Rules;

/// <summary>
/// What one version is made of: its row's dates and metadata, how many files, file properties and version properties
/// it has, and the digest of its manifest file (<c>-</c> when it has none). Two readings of a version that was left
/// alone are equal; a version half removed, or whose manifest moved away, reads differently.
/// </summary>
public sealed record VersionShape(
    long Id, string Name, long CreatedUnix, string MetadataHash, long Files, long FileProperties, long VersionProperties, string Manifest)
{
    private static readonly string Query = $"""
        SELECT concat_ws('|', v.id, v.lower_version, v.created_unix, coalesce(md5(v.metadata_json), '-'),
            (SELECT count(*) FROM package_file f WHERE f.version_id = v.id),
            (SELECT count(*) FROM package_property p JOIN package_file f ON p.ref_type = {PropertyRefType.File:D} AND p.ref_id = f.id WHERE f.version_id = v.id),
            (SELECT count(*) FROM package_property p WHERE p.ref_type = {PropertyRefType.Version:D} AND p.ref_id = v.id),
            coalesce((SELECT lower(d.value) FROM package_file f
                JOIN package_property d ON d.ref_type = {PropertyRefType.File:D} AND d.ref_id = f.id AND d.name = '{ContainerLayout.DigestProperty}'
                WHERE f.version_id = v.id AND f.is_lead AND f.name = '{ContainerLayout.ManifestFile}'), '-'))
        FROM package_version v WHERE v.package_id = $1 AND NOT v.is_internal
        """;

    /// <summary>Every version of the package that is not internal, by id.</summary>
    public static async Task<Dictionary<long, VersionShape>> ReadAsync(ForgeTestWorld world, long packageId)
        => (await world.Database.ColumnAsync(Query, packageId)).Select(Parse).ToDictionary(v => v.Id);

    /// <summary>
    /// What the version named by this tag's manifest digest has when an untag keeps the manifest: the tag's files and
    /// their properties, and its version properties but the tag's mark (container.manifest.tagged).
    /// </summary>
    public VersionShape KeptAsDigestVersion()
        => this with { Id = 0, Name = Manifest, CreatedUnix = 0, MetadataHash = string.Empty, VersionProperties = VersionProperties - 1 };

    /// <summary>This shape with what an untag does not carry over (id, date, metadata) left out.</summary>
    public VersionShape Content() => this with { Id = 0, CreatedUnix = 0, MetadataHash = string.Empty };

    private static VersionShape Parse(string row)
    {
        var f = row.Split('|');
        long Number(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return new VersionShape(Number(0), f[1], Number(2), f[3], Number(4), Number(5), Number(6), f[7]);
    }
}
