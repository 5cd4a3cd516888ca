using Q4.Data;
using Q4.ApiService.Infrastructure;
using StackExchange.Redis;

namespace Q4.ApiService.Auctions;

/// <summary>
/// An auction's state in Redis, where bids land first; PostgreSQL trails it by the sync service's lag.
/// <see cref="EventId"/> is the id of the newest event in the auction's stream that the state reflects (bid.lua and
/// close.lua write both in one step), null before the first or when the state comes from PostgreSQL: a client that
/// shows the state and opens the stream after that event misses nothing that happened in between.
/// </summary>
public sealed record LiveState(
    long Price, int BidCount, Guid? HighestBidderId, string? HighestBidderName, DateTimeOffset EndsAt, bool Closed, string? EventId = null)
{
    private static readonly RedisValue[] Fields = ["price", "count", "endsAt", "closed", "event", "bidder", "bidderName"];

    /// <summary>What a list shows: no bidder, so a page of twenty reads less.</summary>
    private static readonly RedisValue[] SummaryFields = Fields[..5];

    /// <summary>The state Redis holds for a new auction; bid.lua and the sync service keep it from then on.</summary>
    public static async Task SeedAsync(IDatabase redis, AuctionFacts auction)
    {
        var transaction = redis.CreateTransaction();
        _ = transaction.HashSetAsync(RedisKeys.AuctionState(auction.Id),
        [
            new("startsAt", auction.StartsAt.ToUnixTimeMilliseconds()),
            new("endsAt", auction.EndsAt.ToUnixTimeMilliseconds()),
            new("startingPrice", auction.StartingPrice),
            new("minIncrement", auction.MinIncrement),
            new("price", auction.CurrentPrice),
            new("bidder", ""),
            new("count", 0),
            new("closed", "0"),
        ]);
        _ = transaction.SortedSetAddAsync(RedisKeys.AuctionEnds, auction.Id.ToString(), auction.EndsAt.ToUnixTimeMilliseconds());
        await transaction.ExecuteAsync();
    }

    /// <summary>Live states of several auctions in one round trip; the facts stand in where Redis has none.</summary>
    public static Task<LiveState[]> ReadAsync(IDatabase redis, IReadOnlyList<AuctionFacts> auctions) =>
        ReadAsync(redis, auctions, a => a.Id,
            a => new LiveState(a.CurrentPrice, a.BidCount, a.HighestBidderId, a.HighestBidderName, a.EndsAt, a.Closed),
            withBidder: true);

    /// <summary>As above, for any rows that know their auction's id and what PostgreSQL holds of it.</summary>
    public static async Task<LiveState[]> ReadAsync<T>(IDatabase redis, IReadOnlyList<T> auctions, Func<T, Guid> idOf,
        Func<T, LiveState> persistedOf, bool withBidder = false)
    {
        var fields = withBidder ? Fields : SummaryFields;
        if (auctions.Count == 1)
        {
            return [From(await redis.HashGetAsync(RedisKeys.AuctionState(idOf(auctions[0])), fields)) ?? persistedOf(auctions[0])];
        }
        // Pipelined: one round trip, and Redis answers each HMGET as cheaply as it can (far cheaper than the same
        // reads from inside a Lua script, and Redis's one thread is the bids' too).
        var batch = redis.CreateBatch();
        var reads = auctions.Select(a => batch.HashGetAsync(RedisKeys.AuctionState(idOf(a)), fields)).ToArray();
        batch.Execute();
        var states = await Task.WhenAll(reads);
        return [.. auctions.Select((auction, i) => From(states[i]) ?? persistedOf(auction))];
    }

    /// <summary>The state in the hash's fields, or null when Redis holds none for the auction.</summary>
    private static LiveState? From(RedisValue[] values)
    {
        if (values[0].IsNull)
        {
            return null;
        }
        var withBidder = values.Length > SummaryFields.Length;
        return new LiveState(
            (long)values[0], (int)values[1],
            withBidder && Guid.TryParse((string?)values[5], out var bidder) ? bidder : null,
            withBidder && !values[6].IsNullOrEmpty ? values[6].ToString() : null,
            DateTimeOffset.FromUnixTimeMilliseconds((long)values[2]),
            values[3] == "1",
            values[4].IsNullOrEmpty ? null : values[4].ToString());
    }
}
