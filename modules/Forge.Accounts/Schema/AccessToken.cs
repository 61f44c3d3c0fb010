namespace Forge.Accounts.Schema;

/// <summary>
/// A row of Forgejo's <c>access_token</c> table, every column as Forgejo creates it (its xorm model has no
/// NOT NULL on them, so they are nullable). Mapped in <see cref="AccountsDbContext"/>, which exists for the
/// migration; reads and writes go through <see cref="AccessTokenStore"/>.
/// </summary>
public sealed class AccessToken
{
    public long Id { get; set; }
    public long? Uid { get; set; }
    public string? Name { get; set; }
    public string? TokenHash { get; set; }
    public string? TokenSalt { get; set; }
    public string? TokenLastEight { get; set; }
    public string? Scope { get; set; }
    public long? CreatedUnix { get; set; }
    public long? UpdatedUnix { get; set; }
    public bool ResourceAllRepos { get; set; } = true;
}
