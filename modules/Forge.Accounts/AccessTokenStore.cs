using Npgsql;

namespace Forge.Accounts;

/// <summary>A token of an account that may be the one presented: what checking it needs.</summary>
public sealed record AccessTokenCandidate(long Id, string Hash, string Salt, string? Scope, bool AllRepositories, long? ExpiresUnix, long UpdatedUnix);

/// <summary>A token as <c>users tokens list</c> shows it: never the token or its hash.</summary>
public sealed record AccessTokenSummary(long Id, string Name, string Scope, string LastEight, long CreatedUnix, long? ExpiresUnix, long UpdatedUnix)
{
    /// <summary>When it was last used; null when never (Forgejo's rule: used when <c>updated_unix</c> is past <c>created_unix</c>).</summary>
    public long? LastUsedUnix => UpdatedUnix > CreatedUnix ? UpdatedUnix : null;
}

/// <summary>
/// Reads and writes Forgejo's <c>access_token</c> and Forge's <c>forge_access_token_expiry</c> with plain SQL. A
/// verification costs one indexed query (the account's tokens with the presented token's last eight characters).
/// </summary>
public sealed class AccessTokenStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>How often a token's <c>updated_unix</c> (its last use) is written at most: not on every request of a push.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Adds a token named <paramref name="name"/> to the account; false when the account has a token of that name
    /// (nothing is written then). The account's row is locked meanwhile, so that two adds of one name cannot both pass.
    /// </summary>
    public async Task<bool> AddAsync(long accountId, string name, string scope, NewAccessToken token, DateTimeOffset? expires, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockUser = new NpgsqlCommand("""SELECT 1 FROM "user" WHERE id = $1 FOR UPDATE""", connection, transaction))
        {
            lockUser.Parameters.AddWithValue(accountId);
            await lockUser.ExecuteScalarAsync(cancellationToken);
        }

        // One statement: the token and, when it expires, its expiry. Forgejo sets created_unix and updated_unix alike.
        await using var insert = new NpgsqlCommand(
            """
            WITH added AS (
                INSERT INTO access_token (uid, name, token_hash, token_salt, token_last_eight, scope, created_unix, updated_unix, resource_all_repos)
                SELECT $1, $2, $3, $4, $5, $6, $7, $7, TRUE
                WHERE NOT EXISTS (SELECT 1 FROM access_token WHERE uid = $1 AND name = $2)
                RETURNING id
            ), expiry AS (
                INSERT INTO forge_access_token_expiry (access_token_id, expires_unix)
                SELECT id, $8 FROM added WHERE $8::bigint IS NOT NULL
            )
            SELECT count(*) FROM added
            """,
            connection,
            transaction);
        insert.Parameters.AddWithValue(accountId);
        insert.Parameters.AddWithValue(name);
        insert.Parameters.AddWithValue(token.Hash);
        insert.Parameters.AddWithValue(token.Salt);
        insert.Parameters.AddWithValue(token.LastEight);
        insert.Parameters.AddWithValue(scope);
        insert.Parameters.AddWithValue(time.GetUtcNow().ToUnixTimeSeconds());
        insert.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = expires?.ToUnixTimeSeconds() });
        var added = (long)(await insert.ExecuteScalarAsync(cancellationToken))! == 1;
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <summary>The account's tokens, oldest first.</summary>
    public async Task<IReadOnlyList<AccessTokenSummary>> ListAsync(long accountId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT t.id, coalesce(t.name, ''), coalesce(t.scope, ''), coalesce(t.token_last_eight, ''),
                   coalesce(t.created_unix, 0), e.expires_unix, coalesce(t.updated_unix, 0)
            FROM access_token t LEFT JOIN forge_access_token_expiry e ON e.access_token_id = t.id
            WHERE t.uid = $1
            ORDER BY t.created_unix, t.id
            """);
        command.Parameters.AddWithValue(accountId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tokens = new List<AccessTokenSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(new AccessTokenSummary(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetInt64(6)));
        }

        return tokens;
    }

    /// <summary>Deletes the account's token named <paramref name="name"/> (its expiry goes with it); false when there is none.</summary>
    public async Task<bool> RevokeAsync(long accountId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM access_token WHERE uid = $1 AND name = $2");
        command.Parameters.AddWithValue(accountId);
        command.Parameters.AddWithValue(name);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The account's tokens whose last eight characters are <paramref name="lastEight"/>: usually none or one.</summary>
    public async Task<IReadOnlyList<AccessTokenCandidate>> CandidatesAsync(long accountId, string lastEight, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT t.id, t.token_hash, t.token_salt, t.scope, t.resource_all_repos, e.expires_unix, coalesce(t.updated_unix, 0)
            FROM access_token t LEFT JOIN forge_access_token_expiry e ON e.access_token_id = t.id
            WHERE t.uid = $1 AND t.token_last_eight = $2 AND t.token_hash IS NOT NULL AND t.token_salt IS NOT NULL
            """);
        command.Parameters.AddWithValue(accountId);
        command.Parameters.AddWithValue(lastEight);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var candidates = new List<AccessTokenCandidate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            candidates.Add(new AccessTokenCandidate(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetBoolean(4), reader.IsDBNull(5) ? null : reader.GetInt64(5), reader.GetInt64(6)));
        }

        return candidates;
    }

    /// <summary>Whether the token with this id exists and has not expired: one query by primary keys.</summary>
    public async Task<bool> IsValidAsync(long accessTokenId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT EXISTS (
                SELECT 1 FROM access_token t LEFT JOIN forge_access_token_expiry e ON e.access_token_id = t.id
                WHERE t.id = $1 AND (e.expires_unix IS NULL OR e.expires_unix > $2))
            """);
        command.Parameters.AddWithValue(accessTokenId);
        command.Parameters.AddWithValue(time.GetUtcNow().ToUnixTimeSeconds());
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Records a use of the token now, as Forgejo does (<c>updated_unix</c>), unless one was recorded less than
    /// <see cref="LastUsedResolution"/> ago; the condition is checked in the row, so that parallel requests write it once.
    /// </summary>
    public async Task RecordUseAsync(AccessTokenCandidate token, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var since = now - (long)LastUsedResolution.TotalSeconds;
        if (token.UpdatedUnix > since)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("UPDATE access_token SET updated_unix = $2 WHERE id = $1 AND coalesce(updated_unix, 0) <= $3");
        command.Parameters.AddWithValue(token.Id);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(since);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
