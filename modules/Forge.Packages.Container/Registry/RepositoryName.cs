namespace Forge.Packages.Container.Registry;

/// <summary>A repository in the registry: <c>&lt;owner&gt;/&lt;image&gt;</c>; the image may have further path components.</summary>
public sealed record RepositoryName(string Owner, string Image)
{
    public string Full => $"{Owner}/{Image}";

    public override string ToString() => Full;
}
