using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Forge.Accounts.Schema.Migrations
{
    /// <summary>
    /// Forgejo's <c>access_token</c> table, column for column and under xorm's index names as Forgejo creates it in
    /// PostgreSQL (every column nullable but id and resource_all_repos), so that a token either forge made verifies
    /// in the other; and Forge's addition beside it (docs/schema.md), <c>forge_access_token_expiry</c>: Forgejo's
    /// tokens never expire, and its table stays as Forgejo has it.
    /// </summary>
    public partial class AccessTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "access_token",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    uid = table.Column<long>(type: "bigint", nullable: true),
                    name = table.Column<string>(type: "character varying(255)", nullable: true),
                    token_hash = table.Column<string>(type: "character varying(255)", nullable: true),
                    token_salt = table.Column<string>(type: "character varying(255)", nullable: true),
                    token_last_eight = table.Column<string>(type: "character varying(255)", nullable: true),
                    scope = table.Column<string>(type: "character varying(255)", nullable: true),
                    created_unix = table.Column<long>(type: "bigint", nullable: true),
                    updated_unix = table.Column<long>(type: "bigint", nullable: true),
                    resource_all_repos = table.Column<bool>(type: "boolean", nullable: false, defaultValue: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_access_token", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "forge_access_token_expiry",
                schema: "public",
                columns: table => new
                {
                    access_token_id = table.Column<long>(type: "bigint", nullable: false),
                    expires_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forge_access_token_expiry", x => x.access_token_id);
                    table.ForeignKey(
                        name: "FK_forge_access_token_expiry_access_token",
                        column: x => x.access_token_id,
                        principalSchema: "public",
                        principalTable: "access_token",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IDX_access_token_created_unix",
                schema: "public",
                table: "access_token",
                column: "created_unix");

            migrationBuilder.CreateIndex(
                name: "IDX_access_token_token_last_eight",
                schema: "public",
                table: "access_token",
                column: "token_last_eight");

            migrationBuilder.CreateIndex(
                name: "IDX_access_token_uid",
                schema: "public",
                table: "access_token",
                column: "uid");

            migrationBuilder.CreateIndex(
                name: "IDX_access_token_updated_unix",
                schema: "public",
                table: "access_token",
                column: "updated_unix");

            migrationBuilder.CreateIndex(
                name: "UQE_access_token_token_hash",
                schema: "public",
                table: "access_token",
                column: "token_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "forge_access_token_expiry",
                schema: "public");

            migrationBuilder.DropTable(
                name: "access_token",
                schema: "public");
        }
    }
}
