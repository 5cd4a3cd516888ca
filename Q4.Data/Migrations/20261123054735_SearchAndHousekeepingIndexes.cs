using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Q4.Data.Migrations
{
    /// <inheritdoc />
    public partial class SearchAndHousekeepingIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_images_created_at",
                table: "images",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_auctions_created_at_id",
                table: "auctions",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_auctions_current_price_id",
                table: "auctions",
                columns: new[] { "current_price", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_auctions_ends_at_id",
                table: "auctions",
                columns: new[] { "ends_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_auction_images_auction_id_position",
                table: "auction_images",
                columns: new[] { "auction_id", "position" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_images_created_at",
                table: "images");

            migrationBuilder.DropIndex(
                name: "ix_auctions_created_at_id",
                table: "auctions");

            migrationBuilder.DropIndex(
                name: "ix_auctions_current_price_id",
                table: "auctions");

            migrationBuilder.DropIndex(
                name: "ix_auctions_ends_at_id",
                table: "auctions");

            migrationBuilder.DropIndex(
                name: "ix_auction_images_auction_id_position",
                table: "auction_images");
        }
    }
}
