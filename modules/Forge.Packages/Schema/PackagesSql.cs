using Npgsql;
using NpgsqlTypes;

namespace Forge.Packages.Schema;

/// <summary>
/// The one set of Npgsql helpers for SQL over the shared packages schema: commands with positional
/// parameters (<c>$1</c>, <c>$2</c>, ...), scalars, lists and statements. A <c>long[]</c> goes as <c>bigint[]</c>
/// and a <c>string[]</c> as <c>text[]</c> (empty ones too); null goes as SQL NULL.
/// </summary>
/// <remarks>
/// Property reference types are written into SQL text as literals (<c>{PropertyRefType.File:D}</c>), not
/// sent as parameters: the partial indexes on package_property match only a literal predicate.
/// </remarks>
public static class PackagesSql
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        // A lone null or string[] arrives as the params array itself (a null array; array covariance): it is one parameter.
        parameters = parameters switch
        {
            null => [null],
            string[] texts => [texts],
            _ => parameters,
        };

        foreach (var parameter in parameters)
        {
            command.Parameters.Add(Parameter(parameter));
        }

        return command;
    }

    /// <summary>The first column of the first row; default (null for references and nullable types) for none or NULL.</summary>
    public static async Task<T?> ScalarAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>On a connection of its own from the data source.</summary>
    public static async Task<T?> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ScalarAsync<T>(connection, null, sql, cancellationToken, parameters);
    }

    public static async Task<int> ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>On a connection of its own from the data source.</summary>
    public static async Task<int> ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ExecuteAsync(connection, null, sql, cancellationToken, parameters);
    }

    /// <summary>Every row, each read by <paramref name="read"/>.</summary>
    public static async Task<List<T>> ListAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken,
        params object?[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>On a connection of its own from the data source.</summary>
    public static async Task<List<T>> ListAsync<T>(
        NpgsqlDataSource dataSource, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ListAsync(connection, null, sql, read, cancellationToken, parameters);
    }

    public static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value },
        long[] ids => new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
        string[] texts => new NpgsqlParameter { Value = texts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        _ => new NpgsqlParameter { Value = value },
    };
}
