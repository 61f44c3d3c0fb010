using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Forge.Host.Database;

/// <summary>The host's own tables: the record of cron runs.</summary>
public sealed class HostDbContext(DbContextOptions<HostDbContext> options) : DbContext(options)
{
    public const string MigrationsHistoryTable = "__forge_host_migrations";

    public DbSet<CronRun> CronRuns => Set<CronRun>();

    public static void Configure(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql)
        => npgsql.MigrationsHistoryTable(MigrationsHistoryTable, "public").SetPostgresVersion(15, 0);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema("public");
        modelBuilder.Entity<CronRun>(e =>
        {
            e.ToTable("forge_cron_run");
            e.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(r => r.Task).HasColumnName("task").HasMaxLength(255);
            e.Property(r => r.Node).HasColumnName("node").HasMaxLength(255);
            e.Property(r => r.Trigger).HasColumnName("trigger").HasMaxLength(32);
            e.Property(r => r.StartedAt).HasColumnName("started_at");
            e.Property(r => r.ScheduledFor).HasColumnName("scheduled_for");
            e.Property(r => r.FinishedAt).HasColumnName("finished_at");
            e.Property(r => r.Outcome).HasColumnName("outcome").HasMaxLength(16);
            e.Property(r => r.Summary).HasColumnName("summary");
            e.HasIndex(r => new { r.Task, r.StartedAt }).HasDatabaseName("ix_forge_cron_run_task_started_at");
        });
    }
}

internal static class HostDbContextRegistration
{
    public static DbContextOptionsBuilder UseHostDatabase(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
        => options.UseNpgsql(dataSource, HostDbContext.Configure);
}
