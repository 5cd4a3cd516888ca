using Q4.Data;
using Q4.ApiService.Infrastructure;
using StackExchange.Redis;

namespace Q4.ApiService.Auctions;

/// <summary>An auction's state in Redis, where bids land first; PostgreSQL trails it by the sync service's lag.</summary>
public sealed record LiveState(long Price, int BidCount, Guid? HighestBidderId, string? HighestBidderName, DateTimeOffset EndsAt, bool Closed)
{
    private static readonly RedisValue[] Fields = ["price", "count", "bidder", "bidderName", "endsAt", "closed"];

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
    public static async Task<LiveState[]> ReadAsync(IDatabase redis, IReadOnlyList<AuctionFacts> auctions)
    {
        var batch = redis.CreateBatch();
        var reads = auctions.Select(a => batch.HashGetAsync(RedisKeys.AuctionState(a.Id), Fields)).ToArray();
        batch.Execute();
        var values = await Task.WhenAll(reads);
        return [.. auctions.Select((auction, i) => From(values[i], auction))];
    }

    private static LiveState From(RedisValue[] values, AuctionFacts auction) =>
        values[0].IsNull
            ? new LiveState(auction.CurrentPrice, auction.BidCount, auction.HighestBidderId, auction.HighestBidderName, auction.EndsAt, auction.Closed)
            : new LiveState(
                (long)values[0], (int)values[1],
                Guid.TryParse((string?)values[2], out var bidder) ? bidder : null,
                values[3].IsNullOrEmpty ? null : values[3].ToString(),
                DateTimeOffset.FromUnixTimeMilliseconds((long)values[4]),
                values[5] == "1");
}
