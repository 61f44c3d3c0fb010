using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Forge's additions for retention by last pull (docs/schema.md): package_cleanup_rule.keep_pulled_days (0 in rows
    /// Forgejo writes, which keeps their meaning) and the table forge_package_version_pull, a version's last pull,
    /// deleted with its version.
    /// </summary>
    public partial class RetentionRulePullsAndLastPulls : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "keep_pulled_days",
                schema: "public",
                table: "package_cleanup_rule",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "forge_package_version_pull",
                schema: "public",
                columns: table => new
                {
                    version_id = table.Column<long>(type: "bigint", nullable: false),
                    last_pulled_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forge_package_version_pull", x => x.version_id);
                    table.ForeignKey(
                        name: "fk_forge_package_version_pull_version_id",
                        column: x => x.version_id,
                        principalSchema: "public",
                        principalTable: "package_version",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "forge_package_version_pull",
                schema: "public");

            migrationBuilder.DropColumn(
                name: "keep_pulled_days",
                schema: "public",
                table: "package_cleanup_rule");
        }
    }
}
