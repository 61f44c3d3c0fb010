namespace Forge.Bench.WritePath;

/// <summary>A column or index Forge adds to Forgejo's schema, the migration that adds it, who reads it, and how the benchmark drops it.</summary>
public sealed record SchemaAddition(string Name, string Migration, string ReadBy, string DropSql);

/// <summary>What a contender's database lacks of the schema as migrated.</summary>
public sealed record WritePathContender(string Name, IReadOnlyList<SchemaAddition> Dropped);

/// <summary>
/// The additions over <c>package_version</c> and <c>package_property</c> that the container cleanup brought or reads
/// (docs/schema.md, "Forge additions"), and the benchmark's three databases: as migrated, without the two that only the
/// cleanup reads, and without all five (the three on <c>lower(value)</c> are also read by the push itself).
/// </summary>
public static class WritePathSchema
{
    public static readonly SchemaAddition MayNameDigest = new(
        "package_version.may_name_digest", "20261129164222_PackageVersionMayNameDigest", "the container cleanup's inventory",
        "ALTER TABLE package_version DROP COLUMN may_name_digest");

    public static readonly SchemaAddition ManifestReference = new(
        "IDX_package_property_manifest_reference", "20261129164636_PackagePropertyManifestReferenceIndex", "the container cleanup's inventory and re-check",
        "DROP INDEX \"IDX_package_property_manifest_reference\"");

    public static readonly SchemaAddition ManifestReferenceValue = new(
        "IDX_package_property_manifest_reference_value", "20261202213626_ContainerDigestLookupIndexes",
        "a re-pushed tag (TagRepush), a delete by tag, the rules' untag",
        "DROP INDEX \"IDX_package_property_manifest_reference_value\"");

    public static readonly SchemaAddition ContainerDigestValue = new(
        "IDX_package_property_container_digest_value", "20261202213626_ContainerDigestLookupIndexes",
        "may serve an index push (IndexEntryLocks), a re-pushed tag, the rules' untag, the cleanup's subject holders",
        "DROP INDEX \"IDX_package_property_container_digest_value\"");

    public static readonly SchemaAddition ManifestSubjectValue = new(
        "IDX_package_property_manifest_subject_value", "20261203062000_ContainerManifestSubjectIndex",
        "every manifest push (ReferrerLocks), the referrers API, the cleanup's inventory",
        "DROP INDEX \"IDX_package_property_manifest_subject_value\"");

    public static IReadOnlyList<SchemaAddition> All { get; } = [MayNameDigest, ManifestReference, ManifestReferenceValue, ContainerDigestValue, ManifestSubjectValue];

    public const string AsMigrated = "as migrated";
    public const string WithoutCleanupOnly = "without cleanup-only";
    public const string WithoutAll = "without all five";

    public static IReadOnlyList<WritePathContender> Contenders { get; } =
    [
        new(AsMigrated, []),
        new(WithoutCleanupOnly, [MayNameDigest, ManifestReference]),
        new(WithoutAll, All),
    ];

    /// <summary>The indexes among <see cref="All"/>, whose sizes the report gives.</summary>
    public static IEnumerable<SchemaAddition> Indexes => All.Where(a => a.Name.StartsWith("IDX_", StringComparison.Ordinal));
}
