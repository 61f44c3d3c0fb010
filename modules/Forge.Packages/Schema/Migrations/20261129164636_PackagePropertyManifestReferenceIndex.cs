using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Adds a partial index on package_property (ref_id) INCLUDE (value) for the version properties named
    /// container.manifest.reference (Forgejo's schema has none). It changes the meaning of no column; the
    /// container cleanup reads every version's reference properties through it, index-only.
    /// </summary>
    public partial class PackagePropertyManifestReferenceIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IDX_package_property_manifest_reference",
                schema: "public",
                table: "package_property",
                column: "ref_id",
                filter: "ref_type = 0 AND name = 'container.manifest.reference'")
                .Annotation("Npgsql:IndexInclude", new[] { "value" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IDX_package_property_manifest_reference",
                schema: "public",
                table: "package_property");
        }
    }
}
