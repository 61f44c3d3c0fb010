namespace Forge.Packages.Container.Cleanup;

/// <summary>Rows removed (or, in a dry run, that would be) by deleting versions.</summary>
public readonly record struct DeletionCounts(long Versions, long Files, long Properties)
{
    public static DeletionCounts operator +(DeletionCounts a, DeletionCounts b)
        => new(a.Versions + b.Versions, a.Files + b.Files, a.Properties + b.Properties);
}
