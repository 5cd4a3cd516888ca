using StackExchange.Redis;

namespace Q4.Data;

/// <summary>Every Redis name Q4 uses, in one place: the API writes them, the sync service persists and settles.</summary>
public static class RedisKeys
{
    /// <summary>Accepted bids of all auctions, in acceptance order; the sync service persists them.</summary>
    public static readonly RedisKey BidStream = "q4:bids";

    /// <summary>The end of every open auction (score: unix ms); the sync service closes those that are due.</summary>
    public static readonly RedisKey AuctionEnds = "q4:auctions:ends";

    /// <summary>Live events of every auction; each API replica subscribes once.</summary>
    public static readonly RedisChannel AuctionEvents = RedisChannel.Literal("q4:auction-events");

    /// <summary>The auction's live state: price, highest bidder, bid count, times, increment.</summary>
    public static RedisKey AuctionState(Guid auctionId) => $"q4:auction:{auctionId}";

    /// <summary>The auction's recent events (capped), replayed to clients that reconnect.</summary>
    public static RedisKey AuctionEventStream(Guid auctionId) => $"q4:auction:{auctionId}:events";

    public static RedisKey Idempotency(Guid auctionId, Guid userId, string key) => $"q4:idem:{auctionId}:{userId}:{key}";

    /// <summary>The user's recent uploads (sorted set: one member per upload, score = Redis time in unix ms).</summary>
    public static RedisKey ImageUploads(Guid userId) => $"q4:images:uploads:{userId}";

    /// <summary>The consumer group of the sync service on <see cref="BidStream"/>.</summary>
    public const string SyncGroup = "sync";

    /// <summary>Entries of <see cref="BidStream"/> that could not be persisted, with the reason.</summary>
    public static readonly RedisKey DeadBids = "q4:bids:dead";

    /// <summary>Held by the one sync service replica that works: <c>&lt;owner&gt;:&lt;fence&gt;</c>.</summary>
    public static readonly RedisKey SyncLock = "q4:sync:lock";

    /// <summary>Counts lock acquisitions; each holder's number fences out the holders before it.</summary>
    public static readonly RedisKey SyncFence = "q4:sync:fence";
}
