using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Adds package_version.may_name_digest (Forgejo's schema has no such column), computed and stored by
    /// PostgreSQL from metadata_json on every write, whoever writes: false when the text cannot name a
    /// digest. It changes the meaning of no column; the container cleanup reads it instead of scanning
    /// every document. Adding a stored column rewrites package_version once (seconds per million rows).
    /// </summary>
    public partial class PackageVersionMayNameDigest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "may_name_digest",
                schema: "public",
                table: "package_version",
                type: "boolean",
                nullable: true,
                computedColumnSql: "strpos(metadata_json, '256:') > 0 OR strpos(metadata_json, '\\u') > 0 OR metadata_json NOT LIKE '{%}' OR strpos(metadata_json, 'anifests') > 0 OR strpos(metadata_json, 'ANIFESTS') > 0",
                stored: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "may_name_digest",
                schema: "public",
                table: "package_version");
        }
    }
}
