using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Forge.Modularity;

/// <summary>The schema migration of an EF Core context: its pending migrations, applied in order.</summary>
public sealed class EfCoreSchemaMigration<TContext>(TContext db, string name) : ISchemaMigration
    where TContext : DbContext
{
    public string Name => name;

    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        // Asking EF for pending migrations of a fresh database logs a failed query of the history table;
        // checking for the table first keeps an ordinary first start free of error lines.
        if (!await db.GetService<IHistoryRepository>().ExistsAsync(cancellationToken))
        {
            return db.Database.GetMigrations().ToList();
        }

        return (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
    }

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var pending = await PendingAsync(cancellationToken);
        if (pending.Count > 0)
        {
            await db.Database.MigrateAsync(cancellationToken);
        }

        return pending;
    }
}
