using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Forge's addition for OCI 1.1 referrers (docs/schema.md): a partial expression index on lower(value) of the
    /// version property container.manifest.subject, so that the referrers API and the dangling cleanup find the
    /// manifests naming a digest as their subject without reading every property row. No column changes meaning.
    /// </summary>
    public partial class ContainerManifestSubjectIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE INDEX "IDX_package_property_manifest_subject_value" ON public.package_property (lower(value))
                WHERE ref_type = 0 AND name = 'container.manifest.subject'
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX public."IDX_package_property_manifest_subject_value" """);
        }
    }
}
