using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <inheritdoc />
    public partial class PendingContentRemoval : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "forge_content_removal",
                schema: "public",
                columns: table => new
                {
                    hash_sha256 = table.Column<string>(type: "character(64)", nullable: false),
                    queued_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forge_content_removal", x => x.hash_sha256);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "forge_content_removal",
                schema: "public");
        }
    }
}
