using Npgsql;
using Q4.Tests.Hosting;

namespace Q4.Tests.Users;

/// <summary>
/// Rows written straight into PostgreSQL, where a test needs data that other services produce (the sync
/// service persists bids; auctions are created through the API once it offers that).
/// </summary>
public static class SeedAsync
{
    public static async Task<Guid> UserAsync(AppHostProcess app, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        await ExecuteAsync(app, "INSERT INTO users (id, issuer, subject, name, blocked) VALUES ($1, 'seed', $2, 'Seeded seller', false)", ct, id, id.ToString());
        return id;
    }

    public static async Task<Guid> AuctionAsync(AppHostProcess app, Guid sellerId, string title, CancellationToken ct, TimeSpan? startsIn = null)
    {
        var id = Guid.CreateVersion7();
        var startsAt = DateTimeOffset.UtcNow + (startsIn ?? TimeSpan.FromMinutes(-1));
        await ExecuteAsync(app, """
            INSERT INTO auctions (id, seller_id, title, description, starting_price, min_increment, current_price, bid_count,
                                  starts_at, ends_at, status, created_at)
            VALUES ($1, $2, $3, '', 100, 10, 100, 0, $4, $5, 'open', clock_timestamp())
            """, ct, id, sellerId, title, startsAt, startsAt.AddDays(2));
        return id;
    }

    /// <summary>An auction that ended an hour ago and was settled by the sync service: <paramref name="winnerId"/> won it at <paramref name="price"/>.</summary>
    public static async Task<Guid> EndedAuctionAsync(AppHostProcess app, Guid sellerId, Guid winnerId, long price, int bidCount, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var endsAt = DateTimeOffset.UtcNow.AddHours(-1);
        await ExecuteAsync(app, """
            INSERT INTO auctions (id, seller_id, title, description, starting_price, min_increment, current_price, bid_count,
                                  highest_bidder_id, winner_id, starts_at, ends_at, closed_at, status, created_at)
            VALUES ($1, $2, 'Ended in the past', '', 100, 10, $3, $4, $5, $5, $6, $7, $7, 'closed', clock_timestamp())
            """, ct, id, sellerId, price, bidCount, winnerId, endsAt.AddDays(-1), endsAt);
        return id;
    }

    /// <summary>A persisted bid as the sync service writes it; returns its id (the stream entry id).</summary>
    public static async Task<string> BidAsync(AppHostProcess app, Guid auctionId, Guid bidderId, long amount, CancellationToken ct)
    {
        var streamId = $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}-{Random.Shared.Next()}";
        await ExecuteAsync(app, "INSERT INTO bids (stream_id, auction_id, bidder_id, amount, placed_at) VALUES ($1, $2, $3, $4, now())",
            ct, streamId, auctionId, bidderId, amount);
        return streamId;
    }

    private static async Task ExecuteAsync(AppHostProcess app, string sql, CancellationToken ct, params object[] values)
    {
        await using var connection = new NpgsqlConnection(app.GetConnectionString("q4db"));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        await command.ExecuteNonQueryAsync(ct);
    }
}
