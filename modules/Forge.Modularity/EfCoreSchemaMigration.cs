using System.Data.Common;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Modularity;

/// <summary>The schema migration of an EF Core context: its pending migrations, applied in order.</summary>
/// <remarks>
/// Every command asks for pending migrations before it starts. EF's own answer builds its internal
/// services and the migrations' models, about half a second of a short command's life; the migrations'
/// ids (from their attributes) and one query of the history table answer it, and the context is made
/// only when there is something to apply.
/// </remarks>
public sealed class EfCoreSchemaMigration<TContext>(IServiceProvider services, string name) : ISchemaMigration
    where TContext : DbContext
{
    public string Name => name;

    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        var relational = RelationalOptionsExtension.Extract(services.GetRequiredService<DbContextOptions<TContext>>());
        var table = Quote(relational.MigrationsHistoryTableName ?? HistoryRepository.DefaultTableName);
        var qualified = relational.MigrationsHistoryTableSchema is { } schema ? $"{Quote(schema)}.{table}" : table;
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await services.GetRequiredService<DbDataSource>().OpenConnectionAsync(cancellationToken);
        await using (var exists = connection.CreateCommand())
        {
            exists.CommandText = $"SELECT to_regclass('{qualified.Replace("'", "''", StringComparison.Ordinal)}') IS NOT NULL";
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return KnownMigrations;
            }
        }

        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"MigrationId\" FROM {qualified}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }

        return KnownMigrations.Where(id => !applied.Contains(id)).ToList();
    }

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var pending = await PendingAsync(cancellationToken);
        if (pending.Count > 0)
        {
            await services.GetRequiredService<TContext>().Database.MigrateAsync(cancellationToken);
        }

        return pending;
    }

    /// <summary>The ids of this context's migrations, in the order they apply (EF orders them by id too).</summary>
    private static IReadOnlyList<string> KnownMigrations { get; } = typeof(TContext).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<DbContextAttribute>()?.ContextType == typeof(TContext))
        .Select(t => t.GetCustomAttribute<MigrationAttribute>()?.Id)
        .OfType<string>()
        .Order(StringComparer.Ordinal)
        .ToList();

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
