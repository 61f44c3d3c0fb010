namespace Forge.Accounts.Schema;

/// <summary>
/// A row of Forgejo's <c>"user"</c> table, the columns Forge uses. Mapped in <see cref="AccountsDbContext"/>,
/// which exists for the migration; reads and writes go through <see cref="AccountStore"/>.
/// </summary>
public sealed class User
{
    public long Id { get; set; }
    public string LowerName { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string Passwd { get; set; } = string.Empty;
    public string PasswdHashAlgo { get; set; } = string.Empty;
    public string Salt { get; set; } = string.Empty;
    public long CreatedUnix { get; set; }
    public long UpdatedUnix { get; set; }
}
