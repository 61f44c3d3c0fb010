using Forge.Testing;
using Npgsql;

namespace Forge.Packages.Tests;

/// <summary>The migrations create exactly docs/schema.md's tables and columns, in <c>public</c>.</summary>
[NonParallelizable]
public sealed class SchemaTests
{
    // (table, column, data type as information_schema spells it, character length, nullable, default)
    // written from docs/schema.md, not from the EF model, so that a change to the model that breaks
    // compatibility with Forgejo fails here.
    private static readonly (string Table, string Column, string Type, int? Length, bool Nullable)[] Expected =
    [
        ("package", "id", "bigint", null, false),
        ("package", "owner_id", "bigint", null, false),
        ("package", "repo_id", "bigint", null, false),
        ("package", "type", "character varying", 255, false),
        ("package", "name", "character varying", 255, false),
        ("package", "lower_name", "character varying", 255, false),
        ("package", "semver_compatible", "boolean", null, false),
        ("package", "is_internal", "boolean", null, false),
        ("package_version", "id", "bigint", null, false),
        ("package_version", "package_id", "bigint", null, false),
        ("package_version", "creator_id", "bigint", null, false),
        ("package_version", "version", "character varying", 255, false),
        ("package_version", "lower_version", "character varying", 255, false),
        ("package_version", "created_unix", "bigint", null, false),
        ("package_version", "is_internal", "boolean", null, false),
        ("package_version", "metadata_json", "text", null, true),
        // Forge's addition, not Forgejo's: computed by PostgreSQL from metadata_json (see MayNameDigest below).
        ("package_version", "may_name_digest", "boolean", null, true),
        ("package_version", "download_count", "bigint", null, false),
        ("package_file", "id", "bigint", null, false),
        ("package_file", "version_id", "bigint", null, false),
        ("package_file", "blob_id", "bigint", null, false),
        ("package_file", "name", "character varying", 255, false),
        ("package_file", "lower_name", "character varying", 255, false),
        ("package_file", "composite_key", "character varying", 255, true),
        ("package_file", "is_lead", "boolean", null, false),
        ("package_file", "created_unix", "bigint", null, false),
        ("package_blob", "id", "bigint", null, false),
        ("package_blob", "size", "bigint", null, false),
        ("package_blob", "hash_md5", "character", 32, false),
        ("package_blob", "hash_sha1", "character", 40, false),
        ("package_blob", "hash_sha256", "character", 64, false),
        ("package_blob", "hash_sha512", "character", 128, false),
        ("package_blob", "created_unix", "bigint", null, false),
        ("package_blob_upload", "id", "character varying", 255, false),
        ("package_blob_upload", "bytes_received", "bigint", null, false),
        ("package_blob_upload", "hash_state_bytes", "bytea", null, true),
        ("package_blob_upload", "created_unix", "bigint", null, false),
        ("package_blob_upload", "updated_unix", "bigint", null, false),
        // Forge's addition, not Forgejo's: the repository a registry upload session belongs to (NULL: not bound).
        ("package_blob_upload", "repository", "character varying", 255, true),
        ("package_property", "id", "bigint", null, false),
        ("package_property", "ref_type", "bigint", null, false),
        ("package_property", "ref_id", "bigint", null, false),
        ("package_property", "name", "character varying", 255, false),
        ("package_property", "value", "text", null, false),
        ("package_cleanup_rule", "id", "bigint", null, false),
        ("package_cleanup_rule", "enabled", "boolean", null, false),
        ("package_cleanup_rule", "owner_id", "bigint", null, false),
        ("package_cleanup_rule", "type", "character varying", 255, false),
        ("package_cleanup_rule", "keep_count", "integer", null, false),
        ("package_cleanup_rule", "keep_pattern", "character varying", 255, false),
        ("package_cleanup_rule", "remove_days", "integer", null, false),
        ("package_cleanup_rule", "remove_pattern", "character varying", 255, false),
        ("package_cleanup_rule", "match_full_name", "boolean", null, false),
        ("package_cleanup_rule", "created_unix", "bigint", null, false),
        ("package_cleanup_rule", "updated_unix", "bigint", null, false),
        ("package_cleanup_rule", "keep_pulled_days", "integer", null, false),
    ];

    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => database = await (await PostgresTestServer.SharedAsync()).CreateDatabaseAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await database.DisposeAsync();

    [Test]
    public async Task Every_table_and_column_of_the_schema_exists_with_its_type_and_nullability()
    {
        var actual = await ColumnsAsync();
        var expected = Expected.Select(e => $"{e.Table}.{e.Column} {e.Type}({e.Length}) {(e.Nullable ? "NULL" : "NOT NULL")}");
        Assert.That(actual, Is.EquivalentTo(expected));
    }

    [TestCase(null, null)]
    [TestCase("""{"type":"oci","is_tagged":false,"platform":"linux/amd64","layer_creation":["RUN make"]}""", false)]
    [TestCase("""{"type":"oci","manifests":[{"digest":"sha256:0123"}]}""", true)]
    [TestCase("""{"type":"oci","label":"SHA256:ABCD"}""", true)]
    [TestCase("""{"type":"oci","label":"sha\u0032\u0035\u0036:ab"}""", true)]
    [TestCase("""{"type":"oci","MANIFESTS":[]}""", true)]
    [TestCase("""{"type":"oci","labels":{"a":"b""", true)]
    [TestCase("""  {"type":"oci"}""", true)]
    [TestCase("null", true)]
    public async Task May_name_digest_is_computed_by_the_database_on_insert(string? metadata, bool? expected)
    {
        var package = await database.ScalarAsync<long>($"INSERT INTO package (owner_id, type, name, lower_name) VALUES (1, 'container', 'p{Guid.NewGuid():N}', 'p{Guid.NewGuid():N}') RETURNING id");
        await using var connection = database.Connect();
        await using var command = new NpgsqlCommand(
            "INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json) VALUES ($1, 'v', 'v', 0, $2) RETURNING may_name_digest",
            connection);
        command.Parameters.AddWithValue(package);
        command.Parameters.AddWithValue((object?)metadata ?? DBNull.Value);

        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo((object?)expected ?? DBNull.Value));
    }

    [Test]
    public async Task May_name_digest_follows_an_update_of_the_metadata()
    {
        var package = await database.ScalarAsync<long>($"INSERT INTO package (owner_id, type, name, lower_name) VALUES (1, 'container', 'p{Guid.NewGuid():N}', 'p{Guid.NewGuid():N}') RETURNING id");
        var version = await database.ScalarAsync<long>(
            $$"""INSERT INTO package_version (package_id, version, lower_version, created_unix, metadata_json) VALUES ({{package}}, 'v', 'v', 0, '{"type":"oci"}') RETURNING id""");
        var before = await database.ScalarAsync<bool>($"SELECT may_name_digest FROM package_version WHERE id = {version}");

        await database.ExecuteAsync($$"""UPDATE package_version SET metadata_json = '{"manifests":[{"digest":"sha256:00"}]}' WHERE id = {{version}}""");

        var after = await database.ScalarAsync<bool>($"SELECT may_name_digest FROM package_version WHERE id = {version}");
        Assert.Multiple(() =>
        {
            Assert.That(before, Is.False);
            Assert.That(after, Is.True);
        });
    }

    [Test]
    public async Task Serial_ids_and_documented_defaults_are_in_place()
    {
        await database.ExecuteAsync("INSERT INTO package (owner_id, type, name, lower_name) VALUES (1, 'container', 'Img', 'img')");
        await using var connection = database.Connect();
        await using var command = new NpgsqlCommand("SELECT id, repo_id, semver_compatible, is_internal FROM package", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(reader.GetInt64(0), Is.GreaterThan(0));
            Assert.That(reader.GetInt64(1), Is.Zero);
            Assert.That(reader.GetBoolean(2), Is.False);
            Assert.That(reader.GetBoolean(3), Is.False);
        });
    }

    [TestCase("package", "owner_id, type, lower_name")]
    [TestCase("package_version", "package_id, lower_version")]
    [TestCase("package_file", "version_id, lower_name, composite_key")]
    [TestCase("package_blob", "hash_md5")]
    [TestCase("package_blob", "hash_sha1")]
    [TestCase("package_blob", "hash_sha256")]
    [TestCase("package_blob", "hash_sha512")]
    [TestCase("package_cleanup_rule", "owner_id, type")]
    public async Task Unique_indexes_of_the_schema_exist(string table, string columns)
    {
        var uniques = await IndexesAsync(table, unique: true);
        Assert.That(uniques, Does.Contain(columns));
    }

    [TestCase("package", "owner_id")]
    [TestCase("package", "repo_id")]
    [TestCase("package", "type")]
    [TestCase("package", "lower_name")]
    [TestCase("package_version", "package_id")]
    [TestCase("package_version", "lower_version")]
    [TestCase("package_version", "created_unix")]
    [TestCase("package_version", "is_internal")]
    [TestCase("package_file", "version_id")]
    [TestCase("package_file", "blob_id")]
    [TestCase("package_file", "lower_name")]
    [TestCase("package_file", "composite_key")]
    [TestCase("package_file", "created_unix")]
    [TestCase("package_blob_upload", "updated_unix")]
    [TestCase("package_property", "ref_type")]
    [TestCase("package_property", "ref_id")]
    [TestCase("package_property", "name")]
    public async Task Indexes_of_the_schema_exist(string table, string column)
    {
        var indexes = await IndexesAsync(table, unique: false);
        Assert.That(indexes, Does.Contain(column));
    }

    private async Task<List<string>> ColumnsAsync()
    {
        await using var connection = database.Connect();
        await using var command = new NpgsqlCommand(
            """
            SELECT table_name, column_name, data_type, character_maximum_length, is_nullable
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name LIKE 'package%'
            """,
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<string>();
        while (await reader.ReadAsync())
        {
            var length = reader.IsDBNull(3) ? string.Empty : reader.GetInt32(3).ToString(System.Globalization.CultureInfo.InvariantCulture);
            columns.Add($"{reader.GetString(0)}.{reader.GetString(1)} {reader.GetString(2)}({length}) {(reader.GetString(4) == "YES" ? "NULL" : "NOT NULL")}");
        }

        return columns;
    }

    private async Task<List<string>> IndexesAsync(string table, bool unique)
    {
        await using var connection = database.Connect();
        await using var command = new NpgsqlCommand(
            """
            SELECT string_agg(a.attname, ', ' ORDER BY k.ordinality)
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE n.nspname = 'public' AND t.relname = $1 AND i.indisunique = $2 AND NOT i.indisprimary
            GROUP BY i.indexrelid
            """,
            connection);
        command.Parameters.AddWithValue(table);
        command.Parameters.AddWithValue(unique);
        await using var reader = await command.ExecuteReaderAsync();
        var indexes = new List<string>();
        while (await reader.ReadAsync())
        {
            indexes.Add(reader.GetString(0));
        }

        return indexes;
    }
}
