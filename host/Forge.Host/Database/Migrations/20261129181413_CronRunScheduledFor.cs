using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Forge.Host.Database.Migrations
{
    /// <inheritdoc />
    public partial class CronRunScheduledFor : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "scheduled_for",
                schema: "public",
                table: "forge_cron_run",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "scheduled_for",
                schema: "public",
                table: "forge_cron_run");
        }
    }
}
