namespace Forge.Packages.Container.Cleanup;

/// <summary>
/// Whole packages of the inventory: their versions, the versions' reference and subject properties, and the
/// manifest digests of those of their tags whose digest a subject (or a referrer tag's name) in the chunk names.
/// To keep the inventory cheap, the store may leave out metadata_json that cannot name a digest: text with no
/// <c>256:</c> (in any letter case a digest contains it) and no <c>\u</c> escape (the only JSON escape that can spell
/// one), that begins with <c>{</c> and ends with <c>}</c> and does not mention <c>manifests</c>. PostgreSQL marks such
/// rows on every write (package_version.may_name_digest false). Such text holds no reference, so leaving it out
/// changes no decision; only damage in it goes unreported.
/// </summary>
public sealed record InventoryChunk(
    IReadOnlyList<ContainerVersionRecord> Versions,
    IReadOnlyList<ReferenceProperty> ReferenceProperties,
    IReadOnlyList<SubjectProperty> SubjectProperties,
    IReadOnlyList<TagManifest> TagManifests);
