using Forge.Testing;

namespace Forge.Accounts.Tests;

/// <summary>
/// The migrations create Forgejo's <c>"user"</c> table (the columns Forge uses) and <c>access_token</c> (every
/// column) with Forgejo's names, types and index names, and Forge's <c>forge_access_token_expiry</c> beside them.
/// </summary>
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
        var columns = await ColumnsAsync("user");

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
    public async Task The_access_token_table_has_Forgejo_s_columns_all_nullable_but_the_key_and_resource_all_repos()
    {
        Assert.That(await ColumnsAsync("access_token"), Is.EquivalentTo((string[])
        [
            "id bigint NO nextval('access_token_id_seq'::regclass)",
            "uid bigint YES",
            "name character varying(255) YES",
            "token_hash character varying(255) YES",
            "token_salt character varying(255) YES",
            "token_last_eight character varying(255) YES",
            "scope character varying(255) YES",
            "created_unix bigint YES",
            "updated_unix bigint YES",
            "resource_all_repos boolean NO true",
        ]));
    }

    [Test]
    public async Task The_access_token_indexes_have_xorm_s_names()
    {
        var indexes = await database.ColumnAsync("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'access_token'");

        Assert.That(indexes, Is.EquivalentTo((string[])
        [
            "CREATE UNIQUE INDEX \"PK_access_token\" ON public.access_token USING btree (id)",
            "CREATE INDEX \"IDX_access_token_uid\" ON public.access_token USING btree (uid)",
            "CREATE UNIQUE INDEX \"UQE_access_token_token_hash\" ON public.access_token USING btree (token_hash)",
            "CREATE INDEX \"IDX_access_token_token_last_eight\" ON public.access_token USING btree (token_last_eight)",
            "CREATE INDEX \"IDX_access_token_created_unix\" ON public.access_token USING btree (created_unix)",
            "CREATE INDEX \"IDX_access_token_updated_unix\" ON public.access_token USING btree (updated_unix)",
        ]));
    }

    [Test]
    public async Task Forge_s_expiry_table_goes_with_its_token()
    {
        var columns = await ColumnsAsync("forge_access_token_expiry");
        var foreignKey = await database.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.forge_access_token_expiry'::regclass AND contype = 'f'");

        Assert.Multiple(() =>
        {
            Assert.That(columns, Is.EquivalentTo((string[])["access_token_id bigint NO", "expires_unix bigint NO"]));
            Assert.That(foreignKey, Is.EqualTo("FOREIGN KEY (access_token_id) REFERENCES access_token(id) ON DELETE CASCADE"));
        });
    }

    [Test]
    public async Task The_migrations_are_recorded_in_the_module_s_own_history_table()
    {
        var migrations = await database.ColumnAsync("SELECT \"MigrationId\" FROM __forge_accounts_migrations");

        Assert.That(migrations, Has.Some.EndsWith("_InitialAccountsSchema").And.Some.EndsWith("_AccessTokens"));
    }

    private Task<List<string>> ColumnsAsync(string table)
        => database.ColumnAsync(
            """
            SELECT column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || ' ' || is_nullable
                || coalesce(' ' || column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
            """,
            table);
}
