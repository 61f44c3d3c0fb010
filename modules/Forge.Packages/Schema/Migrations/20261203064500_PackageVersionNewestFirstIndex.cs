using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Forge's addition for the retention rules (docs/schema.md): a partial covering index of a package's versions that
    /// are not internal, newest first (created_unix, then id), carrying their names. A rule reads a package's
    /// versions in that order a page at a time; with it, a page is one index range and a dry run (a preview) never
    /// reads the table's rows, which carry the metadata and are ten times the index's size. Kept as plain SQL
    /// beside the model, like the other indexes Forgejo's schema does not have.
    /// </summary>
    public partial class PackageVersionNewestFirstIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE INDEX "IDX_package_version_newest_first" ON public.package_version (package_id, created_unix DESC, id DESC)
                INCLUDE (lower_version, version) WHERE NOT is_internal
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX public."IDX_package_version_newest_first" """);
        }
    }
}
