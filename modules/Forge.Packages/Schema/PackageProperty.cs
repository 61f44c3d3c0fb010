namespace Forge.Packages.Schema;

public sealed class PackageProperty
{
    public long Id { get; set; }
    public PropertyRefType RefType { get; set; }
    public long RefId { get; set; }
    public string Name { get; set; } = string.Empty;
    public string Value { get; set; } = string.Empty;
}
