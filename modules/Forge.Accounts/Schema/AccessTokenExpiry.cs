namespace Forge.Accounts.Schema;

/// <summary>
/// Forge's addition beside Forgejo's <c>access_token</c>: when a token expires (Forgejo's tokens never do). A token
/// without a row here does not expire; the row goes with its token (ON DELETE CASCADE).
/// </summary>
public sealed class AccessTokenExpiry
{
    public long AccessTokenId { get; set; }
    public long ExpiresUnix { get; set; }
}
