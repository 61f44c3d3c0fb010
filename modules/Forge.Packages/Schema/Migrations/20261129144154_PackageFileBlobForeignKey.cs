using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Adds a foreign key from package_file.blob_id to package_blob.id (Forgejo's schema has none). It
    /// changes the meaning of no column; it makes the database refuse to delete a blob that a file uses,
    /// so the expired-data cleanup cannot race a push into a file without content.
    /// </summary>
    public partial class PackageFileBlobForeignKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A database written by another tool may already hold files without a blob: say so plainly.
            migrationBuilder.Sql("""
                DO $$
                DECLARE missing bigint;
                BEGIN
                    SELECT count(*) INTO missing FROM public.package_file f
                    WHERE NOT EXISTS (SELECT 1 FROM public.package_blob b WHERE b.id = f.blob_id);
                    IF missing > 0 THEN
                        RAISE EXCEPTION '% package_file row(s) name a package_blob that does not exist; they must be repaired before this migration (SELECT * FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_blob b WHERE b.id = f.blob_id))', missing;
                    END IF;
                END $$;
                """);
            migrationBuilder.AddForeignKey(
                name: "fk_package_file_blob_id",
                schema: "public",
                table: "package_file",
                column: "blob_id",
                principalSchema: "public",
                principalTable: "package_blob",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_package_file_blob_id",
                schema: "public",
                table: "package_file");
        }
    }
}
