using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Adds two partial expression indexes on package_property (Forgejo's schema has neither; no column changes
    /// meaning): lower(value) of the version properties container.manifest.reference (which indexes of a package
    /// name a digest) and of the file properties container.digest (which manifests of a package have a digest).
    /// Without them each of these questions reads every such row of the table; a retention rule asks both for
    /// every tag it removes. EF Core's model cannot express an index on an expression, so they are plain SQL.
    /// </summary>
    public partial class ContainerDigestLookupIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE INDEX "IDX_package_property_manifest_reference_value" ON public.package_property (lower(value))
                WHERE ref_type = 0 AND name = 'container.manifest.reference'
                """);
            migrationBuilder.Sql("""
                CREATE INDEX "IDX_package_property_container_digest_value" ON public.package_property (lower(value))
                WHERE ref_type = 1 AND name = 'container.digest'
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX public."IDX_package_property_container_digest_value" """);
            migrationBuilder.Sql("""DROP INDEX public."IDX_package_property_manifest_reference_value" """);
        }
    }
}
