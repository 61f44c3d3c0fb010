using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Forge's addition (docs/schema.md): the table forge_registry_token_key, the keys that sign the container
    /// registry's bearer tokens, shared by every node; at most one is current (a unique index over is_current).
    /// </summary>
    public partial class RegistryTokenKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "forge_registry_token_key",
                schema: "public",
                columns: table => new
                {
                    kid = table.Column<string>(type: "text", nullable: false),
                    secret = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_unix = table.Column<long>(type: "bigint", nullable: false),
                    retired_unix = table.Column<long>(type: "bigint", nullable: true),
                    is_current = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forge_registry_token_key", x => x.kid);
                });

            migrationBuilder.CreateIndex(
                name: "ux_forge_registry_token_key_current",
                schema: "public",
                table: "forge_registry_token_key",
                column: "is_current",
                unique: true,
                filter: "is_current");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "forge_registry_token_key",
                schema: "public");
        }
    }
}
