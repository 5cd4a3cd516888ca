using System.Diagnostics;
using Npgsql;
using Q4.Data;
using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>
/// Settles auctions whose end has passed, run by the lock holder once everything the stream held up to that
/// end is persisted. The decision and the <c>closed</c> event happen once, in Redis (close.lua); PostgreSQL
/// then records the winner, and only then is the auction taken off the list of ends. A holder that dies in
/// between leaves the auction listed: the next one finds it closed in Redis and finishes the database part.
/// An auction Redis no longer knows (its live state lost with Redis's data) is closed from what PostgreSQL persisted.
/// </summary>
public sealed class AuctionCloser(IConnectionMultiplexer redis, NpgsqlDataSource database, BidBatchWriter writer, SyncMetrics metrics, ILogger<AuctionCloser> logger)
{
    private const int EventsKeptPerAuction = 1000;
    private const int PerRound = 100;

    private static readonly EmbeddedLuaScript Script = new(typeof(AuctionCloser).Assembly, "Q4.SyncService.Sync.close.lua");

    private const string RecordClosing = """
        UPDATE auctions SET status = 'closed', winner_id = highest_bidder_id, closed_at = to_timestamp($2 / 1000.0)
        WHERE id = $1 AND status = 'open'
        """;

    // Settles from the persisted row: its highest bidder wins at its current price.
    private const string RecordClosingFromDatabase = """
        UPDATE auctions SET status = 'closed', winner_id = highest_bidder_id, closed_at = now()
        WHERE id = $1 AND status = 'open' AND ends_at <= to_timestamp($2 / 1000.0)
        """;

    private const string FindOpenPastEnd = """
        SELECT id FROM auctions WHERE status = 'open' AND ends_at <= to_timestamp($1 / 1000.0) ORDER BY ends_at, id LIMIT $2
        """;

    /// <summary>Closes what ended at or before <paramref name="persistedUpTo"/> (Redis time, unix ms).</summary>
    public async Task CloseDueAsync(long persistedUpTo, long fence, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var due = await db.SortedSetRangeByScoreAsync(RedisKeys.AuctionEnds, double.NegativeInfinity, persistedUpTo, take: PerRound);
        foreach (var member in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Guid.TryParse((string?)member, out var auctionId))
            {
                await db.SortedSetRemoveAsync(RedisKeys.AuctionEnds, member);
                continue;
            }
            using var span = StartClosing(auctionId);
            // The span's id travels with the closed event, so each API replica's delivery of it links here.
            var result = (RedisResult[])(await Script.EvaluateAsync(db,
                [RedisKeys.AuctionState(auctionId), RedisKeys.AuctionEventStream(auctionId)],
                [auctionId.ToString(), persistedUpTo, EventsKeptPerAuction, RedisKeys.AuctionEvents.ToString(), span?.Id ?? ""]))!;
            var outcome = (string)result[0]!;
            span?.SetTag("q4.close.result", outcome);
            if (outcome is "closed" or "already")
            {
                Describe(span, result);
            }
            if (outcome == "not_due")
            {
                // The end moved later than the list says: list it at its real end.
                await db.SortedSetAddAsync(RedisKeys.AuctionEnds, member, (double)(long)result[1]);
                continue;
            }
            if (outcome == "missing")
            {
                await CloseFromDatabaseAsync(auctionId, persistedUpTo, fence, cancellationToken);
            }
            else
            {
                var closedAt = long.TryParse((string?)result[4], out var ms) ? ms : persistedUpTo;
                var recorded = await writer.ExecuteFencedAsync(fence, RecordClosing, cancellationToken, auctionId, closedAt);
                span?.SetTag("q4.close.recorded", recorded > 0);
                if (recorded > 0)
                {
                    metrics.Closed();
                    logger.LogInformation("Closed auction {AuctionId}: winner {Winner}, final price {Price}.",
                        auctionId, (string?)result[2] is { Length: > 0 } w ? w : "none", (string?)result[1] is { Length: > 0 } p ? p : "none");
                }
            }
            await db.SortedSetRemoveAsync(RedisKeys.AuctionEnds, member);
        }
    }

    /// <summary>
    /// Finds auctions PostgreSQL still holds open after their end that no list of ends in Redis names (Redis lost
    /// them): one whose live state survived is listed again, for <see cref="CloseDueAsync"/>; one without live state
    /// is closed from its row.
    /// </summary>
    public async Task CloseForgottenAsync(long persistedUpTo, long fence, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var forgotten = new List<Guid>();
        await using (var command = database.CreateCommand(FindOpenPastEnd))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = persistedUpTo });
            command.Parameters.Add(new NpgsqlParameter { Value = PerRound });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                forgotten.Add(reader.GetGuid(0));
            }
        }
        foreach (var auctionId in forgotten)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var endsAt = await db.HashGetAsync(RedisKeys.AuctionState(auctionId), "endsAt");
            if (endsAt.HasValue)
            {
                await db.SortedSetAddAsync(RedisKeys.AuctionEnds, auctionId.ToString(), (double)(long)endsAt);
            }
            else
            {
                using var span = StartClosing(auctionId);
                span?.SetTag("q4.close.result", "missing");
                await CloseFromDatabaseAsync(auctionId, persistedUpTo, fence, cancellationToken);
            }
        }
    }

    /// <summary>
    /// A span per auction settled, a trace of its own (closing serves no request), with the PostgreSQL commands inside;
    /// <see cref="Describe"/> links it to the winning bid's trace.
    /// </summary>
    private static Activity? StartClosing(Guid auctionId)
    {
        var span = BidStreamSync.Tracing.StartActivity("auction.close", ActivityKind.Internal, parentContext: default);
        span?.SetTag("q4.auction.id", auctionId.ToString());
        return span;
    }

    /// <summary>
    /// What close.lua decided: sold or unsold, the winning amount and bidder, and a link to the trace of the winning bid
    /// (bid.lua keeps the leading bid's traceparent in the live state; a state rebuilt from PostgreSQL has none until
    /// its next bid).
    /// </summary>
    private static void Describe(Activity? span, RedisResult[] result)
    {
        if (span is null)
        {
            return;
        }
        var winner = (string?)result[2];
        var sold = !string.IsNullOrEmpty(winner);
        span.SetTag("q4.auction.outcome", sold ? "sold" : "unsold");
        if (sold)
        {
            span.SetTag("q4.auction.winner_id", winner);
            if (long.TryParse((string?)result[1], out var price))
            {
                span.SetTag("q4.auction.final_price", price);
            }
        }
        if (result.Length > 5 && ActivityContext.TryParse((string?)result[5], null, out var winningBid))
        {
            span.AddLink(new ActivityLink(winningBid, new ActivityTagsCollection { ["q4.link"] = "winning bid" }));
        }
    }

    private async Task CloseFromDatabaseAsync(Guid auctionId, long persistedUpTo, long fence, CancellationToken cancellationToken)
    {
        var recorded = await writer.ExecuteFencedAsync(fence, RecordClosingFromDatabase, cancellationToken, auctionId, persistedUpTo) > 0;
        Activity.Current?.SetTag("q4.close.recorded", recorded);
        if (recorded)
        {
            metrics.Closed();
            logger.LogWarning("Closed auction {AuctionId} from PostgreSQL: Redis has no live state for it.", auctionId);
        }
    }
}
