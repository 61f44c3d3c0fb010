using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Forge.Accounts.Schema.Migrations
{
    /// <inheritdoc />
    public partial class InitialAccountsSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "public");

            migrationBuilder.CreateTable(
                name: "user",
                schema: "public",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    lower_name = table.Column<string>(type: "character varying(255)", nullable: false),
                    name = table.Column<string>(type: "character varying(255)", nullable: false),
                    passwd = table.Column<string>(type: "character varying(255)", nullable: false),
                    passwd_hash_algo = table.Column<string>(type: "character varying(255)", nullable: false, defaultValue: "argon2"),
                    salt = table.Column<string>(type: "character varying(32)", nullable: false),
                    created_unix = table.Column<long>(type: "bigint", nullable: false),
                    updated_unix = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "UQE_user_lower_name",
                schema: "public",
                table: "user",
                column: "lower_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "UQE_user_name",
                schema: "public",
                table: "user",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "user",
                schema: "public");
        }
    }
}
