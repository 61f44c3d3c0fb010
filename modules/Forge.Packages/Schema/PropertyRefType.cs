namespace Forge.Packages.Schema;

/// <summary>What a property row belongs to: the table that <see cref="PackageProperty.RefId"/> points into.</summary>
public enum PropertyRefType : long
{
    Version = 0,
    File = 1,
    Package = 2,
}
