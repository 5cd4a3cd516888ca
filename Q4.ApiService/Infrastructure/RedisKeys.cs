using StackExchange.Redis;

namespace Q4.ApiService.Infrastructure;

/// <summary>Every Redis name Q4's API uses, in one place.</summary>
public static class RedisKeys
{
    /// <summary>Accepted bids of all auctions, in acceptance order; the sync service persists them.</summary>
    public static readonly RedisKey BidStream = "q4:bids";

    /// <summary>Live events of every auction; each API replica subscribes once.</summary>
    public static readonly RedisChannel AuctionEvents = RedisChannel.Literal("q4:auction-events");

    /// <summary>The auction's live state: price, highest bidder, bid count, times, increment.</summary>
    public static RedisKey AuctionState(Guid auctionId) => $"q4:auction:{auctionId}";

    /// <summary>The auction's recent events (capped), replayed to clients that reconnect.</summary>
    public static RedisKey AuctionEventStream(Guid auctionId) => $"q4:auction:{auctionId}:events";

    public static RedisKey Idempotency(Guid auctionId, Guid userId, string key) => $"q4:idem:{auctionId}:{userId}:{key}";
}
