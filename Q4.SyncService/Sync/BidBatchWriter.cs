using Npgsql;

namespace Q4.SyncService.Sync;

/// <summary>Raised inside a write when the database has seen a newer lock holder's fencing token.</summary>
public sealed class FencedOutException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Writes a batch of bids in one transaction and one round trip: the fence check, users first seen, the bids
/// (a stream id already present is skipped, so a batch delivered twice counts once), and each touched auction's
/// price, highest bidder, bid count and end, which only ever move up.
/// </summary>
public sealed class BidBatchWriter(NpgsqlDataSource database)
{
    public const string FencedOutState = "P0001";

    private const string ClaimFence = "SELECT q4_claim_fence($1)";

    // Normally every bidder already has a row (the API creates it on the user's first request); this keeps a bid
    // whose user row is missing from being refused.
    private const string InsertUsers = """
        INSERT INTO users (id, issuer, subject, name, blocked, created_at)
        SELECT DISTINCT ON (seen.seen_id) seen.seen_id, 'q4:bid-stream', seen.seen_id::text, left(seen.seen_name, 64), false, now()
        FROM unnest($1::uuid[], $2::text[]) AS seen(seen_id, seen_name)
        ON CONFLICT DO NOTHING
        """;

    private const string InsertBidsAndRaiseAuctions = """
        WITH batch AS (
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
                WITH ORDINALITY AS b(stream_id, auction_id, bidder_id, amount, placed_at, ends_at, position)
        ), inserted AS (
            INSERT INTO bids (stream_id, auction_id, bidder_id, amount, placed_at)
            SELECT stream_id, auction_id, bidder_id, amount, placed_at FROM batch ORDER BY position
            ON CONFLICT (stream_id) DO NOTHING
            RETURNING auction_id, bidder_id, amount
        ), top AS (
            SELECT DISTINCT ON (auction_id) auction_id, amount, bidder_id, count(*) OVER (PARTITION BY auction_id) AS added
            FROM inserted ORDER BY auction_id, amount DESC
        ), ends AS (
            SELECT auction_id, max(ends_at) AS ends_at FROM batch GROUP BY auction_id
        ), raised AS (
            UPDATE auctions AS a SET
                current_price = CASE WHEN a.highest_bidder_id IS NULL OR t.amount > a.current_price THEN t.amount ELSE a.current_price END,
                highest_bidder_id = CASE WHEN a.highest_bidder_id IS NULL OR t.amount > a.current_price THEN t.bidder_id ELSE a.highest_bidder_id END,
                bid_count = a.bid_count + t.added,
                ends_at = GREATEST(a.ends_at, e.ends_at)
            FROM top AS t JOIN ends AS e USING (auction_id)
            WHERE a.id = t.auction_id
        )
        SELECT count(*)::int FROM inserted
        """;

    /// <summary>Persists <paramref name="bids"/> under <paramref name="fence"/>; the number of rows new to the database.</summary>
    public async Task<int> WriteAsync(IReadOnlyList<BidEntry> bids, long fence, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command(ClaimFence, fence),
                Command(InsertUsers, bids.Select(b => b.BidderId).ToArray(), bids.Select(b => b.BidderName).ToArray()),
                Command(InsertBidsAndRaiseAuctions,
                    bids.Select(b => b.StreamId).ToArray(), bids.Select(b => b.AuctionId).ToArray(),
                    bids.Select(b => b.BidderId).ToArray(), bids.Select(b => b.Amount).ToArray(),
                    bids.Select(b => b.PlacedAt).ToArray(), bids.Select(b => b.EndsAt).ToArray()),
            },
        };
        int inserted;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken); // past the fence check's row
            await reader.ReadAsync(cancellationToken);
            inserted = reader.GetInt32(0);
        }
        catch (PostgresException e) when (e.SqlState == FencedOutState)
        {
            throw new FencedOutException(e.MessageText, e);
        }
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>Runs <paramref name="sql"/> in a transaction of its own after the fence check.</summary>
    public async Task<int> ExecuteFencedAsync(long fence, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { Command(ClaimFence, fence), Command(sql, values) } };
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == FencedOutState)
        {
            throw new FencedOutException(e.MessageText, e);
        }
        await transaction.CommitAsync(cancellationToken);
        return batch.BatchCommands[1].RecordsAffected;
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
        return command;
    }
}
