using Forge.Packages.Schema;
using Npgsql;

namespace Forge.Packages.Container.Data;

/// <summary>A signing key of the registry's tokens as stored; its text never shows the secret.</summary>
public sealed class StoredTokenKey(string kid, byte[] secret, long? retiredUnix)
{
    public string Kid { get; } = kid;

    public ReadOnlyMemory<byte> Secret { get; } = secret;

    /// <summary>When another key became current; null for the current key.</summary>
    public long? RetiredUnix { get; } = retiredUnix;

    public override string ToString() => $"token key {Kid}";
}

/// <summary>
/// The registry's token signing keys in Forge's table <c>forge_registry_token_key</c>, shared by every node: the
/// current key and the retired keys whose tokens may still be alive.
/// </summary>
public sealed class TokenKeyStore(NpgsqlDataSource dataSource)
{
    /// <summary>The advisory lock key of rotations (ASCII "FrgTkRot"): two rotations at once make two keys in turn.</summary>
    public const long RotationLockKey = 0x4672_6754_6B52_6F74;

    /// <summary>The current key and the keys retired after <paramref name="retiredAfterUnix"/>.</summary>
    public async Task<List<StoredTokenKey>> ListUsableAsync(long retiredAfterUnix, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(dataSource,
            "SELECT kid, secret, retired_unix FROM forge_registry_token_key WHERE is_current OR retired_unix > $1 ORDER BY created_unix DESC",
            r => new StoredTokenKey(r.GetString(0), r.GetFieldValue<byte[]>(1), r.IsDBNull(2) ? null : r.GetInt64(2)), cancellationToken, retiredAfterUnix);

    /// <summary>
    /// Makes this key the current one when there is none; false when there is (another node made one first, even
    /// at the same moment: the unique index over the current key lets one insert win).
    /// </summary>
    public async Task<bool> AddFirstAsync(string kid, byte[] secret, long nowUnix, CancellationToken cancellationToken)
        => await PackagesSql.ExecuteAsync(dataSource, """
            INSERT INTO forge_registry_token_key (kid, secret, created_unix, retired_unix, is_current)
            VALUES ($1, $2, $3, NULL, true) ON CONFLICT DO NOTHING
            """, cancellationToken, kid, secret, nowUnix) == 1;

    /// <summary>
    /// Retires the current key (if any), makes this one current and deletes the keys retired before
    /// <paramref name="deleteRetiredBeforeUnix"/>, in one transaction. Returns the retired key's id and how many
    /// keys were deleted.
    /// </summary>
    public async Task<(string? RetiredKid, int Deleted)> RotateAsync(string kid, byte[] secret, long nowUnix, long deleteRetiredBeforeUnix, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await PackagesSql.ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock($1)", cancellationToken, RotationLockKey);
        var retired = await PackagesSql.ScalarAsync<string>(connection, transaction,
            "UPDATE forge_registry_token_key SET is_current = false, retired_unix = $1 WHERE is_current RETURNING kid", cancellationToken, nowUnix);
        await PackagesSql.ExecuteAsync(connection, transaction, """
            INSERT INTO forge_registry_token_key (kid, secret, created_unix, retired_unix, is_current) VALUES ($1, $2, $3, NULL, true)
            """, cancellationToken, kid, secret, nowUnix);
        var deleted = await PackagesSql.ExecuteAsync(connection, transaction,
            "DELETE FROM forge_registry_token_key WHERE NOT is_current AND retired_unix < $1", cancellationToken, deleteRetiredBeforeUnix);
        await transaction.CommitAsync(cancellationToken);
        return (retired, deleted);
    }
}
