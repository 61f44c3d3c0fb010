namespace Forge.Packages.Container.Cleanup;

/// <summary>What kind of version a candidate is, which says why it goes when it is deleted.</summary>
public enum DanglingImageCandidateKind
{
    /// <summary>A digest version without a subject: it goes when nothing kept lists it (<c>unreferenced</c>).</summary>
    Digest,

    /// <summary>A digest version that names a subject: it goes once its subject is gone or goes too (<c>orphaned_referrer</c>).</summary>
    Referrer,

    /// <summary>
    /// A tag of cosign's older scheme (<c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c>, <c>.sbom</c>), judged like a referrer only
    /// with <c>RemoveOrphanedReferrerTags</c> (<c>orphaned_referrer_tag</c>).
    /// </summary>
    ReferrerTag,
}
