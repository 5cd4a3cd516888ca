using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Q4.Data.Migrations
{
    /// <summary>
    /// The fence the sync service passes inside every write transaction. The row lock taken by the UPDATE
    /// orders two writers; the one with the older token then finds a newer one recorded and is refused.
    /// </summary>
    public partial class SyncFencing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION q4_claim_fence(token bigint) RETURNS void
                LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE sync_state SET fencing_token = token WHERE id = 1 AND fencing_token <= token;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'fenced out: token % is older than the one recorded by a newer lock holder', token
                            USING ERRCODE = 'P0001';
                    END IF;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION q4_claim_fence(bigint);");
        }
    }
}
