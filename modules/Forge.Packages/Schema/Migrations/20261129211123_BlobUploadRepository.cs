using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Packages.Schema.Migrations
{
    /// <summary>
    /// Adds package_blob_upload.repository, Forge's addition to Forgejo's schema (docs/schema.md allows columns that do
    /// not change the meaning of existing ones): the repository an upload session was started for, so that only
    /// that repository's requests continue it. Nullable: a session another tool wrote has none and is not bound.
    /// </summary>
    public partial class BlobUploadRepository : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "repository",
                schema: "public",
                table: "package_blob_upload",
                type: "character varying(255)",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "repository",
                schema: "public",
                table: "package_blob_upload");
        }
    }
}
