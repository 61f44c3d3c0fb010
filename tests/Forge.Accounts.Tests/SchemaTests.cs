using Forge.Testing;

namespace Forge.Accounts.Tests;

/// <summary>The migration creates Forgejo's <c>"user"</c> table, the columns Forge uses, with Forgejo's names and types.</summary>
[NonParallelizable]
public sealed class SchemaTests
{
    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await database.DisposeAsync();

    [Test]
    public async Task The_user_table_has_the_columns_with_their_types_nullability_and_defaults()
    {
        var columns = await database.ColumnAsync(
            """
            SELECT column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable
                || coalesce(' ' || column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'user'
            """);

        Assert.That(columns, Is.EquivalentTo((string[])
        [
            "id bigint NO nextval('user_id_seq'::regclass)",
            "lower_name character varying(255) NO",
            "name character varying(255) NO",
            "passwd character varying(255) NO",
            "passwd_hash_algo character varying(255) NO 'argon2'::character varying",
            "salt character varying(32) NO",
            "created_unix bigint NO",
            "updated_unix bigint NO",
        ]));
    }

    [Test]
    public async Task Names_are_unique_under_Forgejo_s_index_names()
    {
        var indexes = await database.ColumnAsync("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'user' AND indexdef LIKE 'CREATE UNIQUE%'");

        Assert.That(indexes, Is.EquivalentTo((string[])
        [
            "CREATE UNIQUE INDEX \"PK_user\" ON public.\"user\" USING btree (id)",
            "CREATE UNIQUE INDEX \"UQE_user_lower_name\" ON public.\"user\" USING btree (lower_name)",
            "CREATE UNIQUE INDEX \"UQE_user_name\" ON public.\"user\" USING btree (name)",
        ]));
    }

    [Test]
    public async Task The_migrations_are_recorded_in_the_module_s_own_history_table()
    {
        var migrations = await database.ColumnAsync("SELECT \"MigrationId\" FROM __forge_accounts_migrations");

        Assert.That(migrations, Has.Some.EndsWith("_InitialAccountsSchema"));
    }
}
