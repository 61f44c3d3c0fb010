using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <inheritdoc />
    public partial class InitialPackagesSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "public");

            migrationBuilder.CreateTable(
                name: "package",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    owner_id = table.Column<long>(type: "bigint", nullable: false),
                    repo_id = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    type = table.Column<string>(type: "character varying(255)", nullable: false),
                    name = table.Column<string>(type: "character varying(255)", nullable: false),
                    lower_name = table.Column<string>(type: "character varying(255)", nullable: false),
                    semver_compatible = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    is_internal = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "package_blob",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    size = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    hash_md5 = table.Column<string>(type: "character(32)", nullable: false),
                    hash_sha1 = table.Column<string>(type: "character(40)", nullable: false),
                    hash_sha256 = table.Column<string>(type: "character(64)", nullable: false),
                    hash_sha512 = table.Column<string>(type: "character(128)", nullable: false),
                    created_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package_blob", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "package_blob_upload",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(255)", nullable: false),
                    bytes_received = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    hash_state_bytes = table.Column<byte[]>(type: "bytea", nullable: true),
                    created_unix = table.Column<long>(type: "bigint", nullable: false),
                    updated_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package_blob_upload", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "package_cleanup_rule",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    enabled = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    owner_id = table.Column<long>(type: "bigint", nullable: false),
                    type = table.Column<string>(type: "character varying(255)", nullable: false),
                    keep_count = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    keep_pattern = table.Column<string>(type: "character varying(255)", nullable: false, defaultValue: ""),
                    remove_days = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    remove_pattern = table.Column<string>(type: "character varying(255)", nullable: false, defaultValue: ""),
                    match_full_name = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    created_unix = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    updated_unix = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package_cleanup_rule", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "package_file",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    version_id = table.Column<long>(type: "bigint", nullable: false),
                    blob_id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "character varying(255)", nullable: false),
                    lower_name = table.Column<string>(type: "character varying(255)", nullable: false),
                    composite_key = table.Column<string>(type: "character varying(255)", nullable: true),
                    is_lead = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    created_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package_file", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "package_property",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    ref_type = table.Column<long>(type: "bigint", nullable: false),
                    ref_id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "character varying(255)", nullable: false),
                    value = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package_property", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "package_version",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    package_id = table.Column<long>(type: "bigint", nullable: false),
                    creator_id = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    version = table.Column<string>(type: "character varying(255)", nullable: false),
                    lower_version = table.Column<string>(type: "character varying(255)", nullable: false),
                    created_unix = table.Column<long>(type: "bigint", nullable: false),
                    is_internal = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    metadata_json = table.Column<string>(type: "text", nullable: true),
                    download_count = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_package_version", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IDX_package_lower_name",
                schema: "public",
                table: "package",
                column: "lower_name");

            migrationBuilder.CreateIndex(
                name: "IDX_package_owner_id",
                schema: "public",
                table: "package",
                column: "owner_id");

            migrationBuilder.CreateIndex(
                name: "IDX_package_repo_id",
                schema: "public",
                table: "package",
                column: "repo_id");

            migrationBuilder.CreateIndex(
                name: "IDX_package_type",
                schema: "public",
                table: "package",
                column: "type");

            migrationBuilder.CreateIndex(
                name: "UQE_package_s",
                schema: "public",
                table: "package",
                columns: new[] { "owner_id", "type", "lower_name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IDX_package_blob_created_unix",
                schema: "public",
                table: "package_blob",
                column: "created_unix");

            migrationBuilder.CreateIndex(
                name: "UQE_package_blob_md5",
                schema: "public",
                table: "package_blob",
                column: "hash_md5",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "UQE_package_blob_sha1",
                schema: "public",
                table: "package_blob",
                column: "hash_sha1",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "UQE_package_blob_sha256",
                schema: "public",
                table: "package_blob",
                column: "hash_sha256",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "UQE_package_blob_sha512",
                schema: "public",
                table: "package_blob",
                column: "hash_sha512",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IDX_package_blob_upload_updated_unix",
                schema: "public",
                table: "package_blob_upload",
                column: "updated_unix");

            migrationBuilder.CreateIndex(
                name: "IDX_package_cleanup_rule_created_unix",
                schema: "public",
                table: "package_cleanup_rule",
                column: "created_unix");

            migrationBuilder.CreateIndex(
                name: "IDX_package_cleanup_rule_enabled",
                schema: "public",
                table: "package_cleanup_rule",
                column: "enabled");

            migrationBuilder.CreateIndex(
                name: "IDX_package_cleanup_rule_owner_id",
                schema: "public",
                table: "package_cleanup_rule",
                column: "owner_id");

            migrationBuilder.CreateIndex(
                name: "IDX_package_cleanup_rule_type",
                schema: "public",
                table: "package_cleanup_rule",
                column: "type");

            migrationBuilder.CreateIndex(
                name: "IDX_package_cleanup_rule_updated_unix",
                schema: "public",
                table: "package_cleanup_rule",
                column: "updated_unix");

            migrationBuilder.CreateIndex(
                name: "UQE_package_cleanup_rule_s",
                schema: "public",
                table: "package_cleanup_rule",
                columns: new[] { "owner_id", "type" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IDX_package_file_blob_id",
                schema: "public",
                table: "package_file",
                column: "blob_id");

            migrationBuilder.CreateIndex(
                name: "IDX_package_file_composite_key",
                schema: "public",
                table: "package_file",
                column: "composite_key");

            migrationBuilder.CreateIndex(
                name: "IDX_package_file_created_unix",
                schema: "public",
                table: "package_file",
                column: "created_unix");

            migrationBuilder.CreateIndex(
                name: "IDX_package_file_lower_name",
                schema: "public",
                table: "package_file",
                column: "lower_name");

            migrationBuilder.CreateIndex(
                name: "IDX_package_file_version_id",
                schema: "public",
                table: "package_file",
                column: "version_id");

            migrationBuilder.CreateIndex(
                name: "UQE_package_file_s",
                schema: "public",
                table: "package_file",
                columns: new[] { "version_id", "lower_name", "composite_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IDX_package_property_name",
                schema: "public",
                table: "package_property",
                column: "name");

            migrationBuilder.CreateIndex(
                name: "IDX_package_property_ref_id",
                schema: "public",
                table: "package_property",
                column: "ref_id");

            migrationBuilder.CreateIndex(
                name: "IDX_package_property_ref_type",
                schema: "public",
                table: "package_property",
                column: "ref_type");

            migrationBuilder.CreateIndex(
                name: "IDX_package_version_created_unix",
                schema: "public",
                table: "package_version",
                column: "created_unix");

            migrationBuilder.CreateIndex(
                name: "IDX_package_version_is_internal",
                schema: "public",
                table: "package_version",
                column: "is_internal");

            migrationBuilder.CreateIndex(
                name: "IDX_package_version_lower_version",
                schema: "public",
                table: "package_version",
                column: "lower_version");

            migrationBuilder.CreateIndex(
                name: "IDX_package_version_package_id",
                schema: "public",
                table: "package_version",
                column: "package_id");

            migrationBuilder.CreateIndex(
                name: "UQE_package_version_s",
                schema: "public",
                table: "package_version",
                columns: new[] { "package_id", "lower_version" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "package",
                schema: "public");

            migrationBuilder.DropTable(
                name: "package_blob",
                schema: "public");

            migrationBuilder.DropTable(
                name: "package_blob_upload",
                schema: "public");

            migrationBuilder.DropTable(
                name: "package_cleanup_rule",
                schema: "public");

            migrationBuilder.DropTable(
                name: "package_file",
                schema: "public");

            migrationBuilder.DropTable(
                name: "package_property",
                schema: "public");

            migrationBuilder.DropTable(
                name: "package_version",
                schema: "public");
        }
    }
}
