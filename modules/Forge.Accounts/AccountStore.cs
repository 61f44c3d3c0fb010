using Npgsql;

namespace Forge.Accounts;

/// <summary>A user's row: the account, its lower-case name and its stored password.</summary>
public sealed record AccountRow(Account Account, string LowerName, StoredPassword Password);

/// <summary>A user as <c>users list</c> shows it.</summary>
public sealed record AccountSummary(long Id, string Name, DateTimeOffset Created);

/// <summary>
/// Reads and writes Forgejo's <c>"user"</c> table with plain SQL: one indexed query per lookup, which the
/// registry makes on every request it authenticates.
/// </summary>
public sealed class AccountStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>The name as <c>lower_name</c> holds it.</summary>
    public static string LowerName(string name) => name.ToLowerInvariant();

    /// <summary>The user named <paramref name="name"/> in any letter case; null when there is none.</summary>
    public async Task<AccountRow?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """SELECT id, name, lower_name, passwd, passwd_hash_algo, salt FROM "user" WHERE lower_name = $1""");
        command.Parameters.AddWithValue(LowerName(name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new AccountRow(
            new Account(reader.GetInt64(0), reader.GetString(1)),
            reader.GetString(2),
            new StoredPassword(reader.GetString(3), reader.GetString(4), reader.GetString(5)));
    }

    /// <summary>Adds a user; null when the name is taken in any letter case (nothing is written then).</summary>
    public async Task<Account?> AddAsync(string name, StoredPassword password, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        // NOT EXISTS: a taken name does not even use up an id of the sequence. ON CONFLICT: a user added at
        // the same moment by another process is a taken name too, not a failure.
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO "user" (lower_name, name, passwd, passwd_hash_algo, salt, created_unix, updated_unix)
            SELECT $1, $2, $3, $4, $5, $6, $6
            WHERE NOT EXISTS (SELECT 1 FROM "user" WHERE lower_name = $1 OR name = $2)
            ON CONFLICT DO NOTHING
            RETURNING id
            """);
        command.Parameters.AddWithValue(LowerName(name));
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(password.Passwd);
        command.Parameters.AddWithValue(password.Algorithm);
        command.Parameters.AddWithValue(password.Salt);
        command.Parameters.AddWithValue(now);
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? new Account(id, name) : null;
    }

    /// <summary>Replaces the password of the user named <paramref name="name"/> in any letter case; null when there is none.</summary>
    public async Task<Account?> SetPasswordAsync(string name, StoredPassword password, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE "user" SET passwd = $2, passwd_hash_algo = $3, salt = $4, updated_unix = $5
            WHERE lower_name = $1
            RETURNING id, name
            """);
        command.Parameters.AddWithValue(LowerName(name));
        command.Parameters.AddWithValue(password.Passwd);
        command.Parameters.AddWithValue(password.Algorithm);
        command.Parameters.AddWithValue(password.Salt);
        command.Parameters.AddWithValue(time.GetUtcNow().ToUnixTimeSeconds());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Account(reader.GetInt64(0), reader.GetString(1)) : null;
    }

    /// <summary>The names of the users with these ids.</summary>
    public async Task<IReadOnlyDictionary<long, string>> NamesAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        var names = new Dictionary<long, string>();
        if (ids.Count == 0)
        {
            return names;
        }

        await using var command = dataSource.CreateCommand("""SELECT id, name FROM "user" WHERE id = ANY($1)""");
        command.Parameters.AddWithValue(ids.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names[reader.GetInt64(0)] = reader.GetString(1);
        }

        return names;
    }

    /// <summary>Every user, by id.</summary>
    public async Task<IReadOnlyList<AccountSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""SELECT id, name, created_unix FROM "user" ORDER BY id""");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<AccountSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(new AccountSummary(reader.GetInt64(0), reader.GetString(1), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(2))));
        }

        return users;
    }
}
