using Forge.Modularity;
using Forge.Host.Tests.Support;
using Forge.Testing;

namespace Forge.Host.Tests;

/// <summary><c>forge migrate</c> on a database that has never seen Forge, and again on one it has migrated.</summary>
public sealed class MigrateCommandTests : DatabaseTest
{
    protected override bool Migrated => false;

    [Test]
    public async Task Migrate_applies_the_schema_to_a_fresh_database()
    {
        var result = await MigrateAsync();

        var tables = await TablesAsync();
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
            Assert.That(result.Output, Does.StartWith("Applied "));
            Assert.That(tables, Is.SupersetOf((string[])["public.forge_cron_run", "public.package", "public.package_version"]));
        });
    }

    [Test]
    public async Task Migrate_again_says_the_schema_is_up_to_date_and_changes_nothing()
    {
        await MigrateAsync();
        var before = await ColumnsAsync();

        var result = await MigrateAsync();

        var after = await ColumnsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
            Assert.That(result.Output, Does.StartWith("The schema is up to date"));
            Assert.That(before, Is.Not.Empty, "the first migrate built the schema");
            Assert.That(after, Is.EqualTo(before));
        });
    }

    [Test]
    public async Task A_database_missing_only_its_last_migration_is_refused_by_commands_naming_the_fix()
    {
        // Commands check pending migrations from the history table and the migrations' ids, without EF's
        // model: removing the newest history row must count as pending.
        await MigrateAsync();
        await Database.ScalarAsync<object>(
            "DELETE FROM __forge_packages_migrations WHERE \"MigrationId\" = (SELECT max(\"MigrationId\") FROM __forge_packages_migrations)");

        var result = await ForgeCli.RunAsync(new() { Settings = ForgeSettings.For(Database.ConnectionString) }, "packages", "cleanup", "--dry-run");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.UsageError));
            Assert.That(result.Error, Does.Contain("lacks migrations of Packages").And.Contain("forge migrate"));
        });
    }

    [Test]
    public async Task A_migrated_database_is_accepted_by_commands()
    {
        await MigrateAsync();

        var result = await ForgeCli.RunAsync(new() { Settings = ForgeSettings.For(Database.ConnectionString) }, "packages", "cleanup", "--dry-run");

        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Success), result.Error);
    }

    private Task<CliResult> MigrateAsync()
        => ForgeCli.RunAsync(new() { Settings = ForgeSettings.For(Database.ConnectionString) }, "migrate");

    private Task<List<string>> TablesAsync()
        => Database.ColumnAsync("SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");

    /// <summary>Every column of the database's own schemas with its type, nullability and default, in a stable order.</summary>
    private Task<List<string>> ColumnsAsync()
        => Database.ColumnAsync(
            """
            SELECT concat_ws(' ', table_schema, table_name, ordinal_position, column_name, data_type, character_maximum_length, is_nullable, column_default)
            FROM information_schema.columns
            WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
            ORDER BY table_schema, table_name, ordinal_position
            """);
}
