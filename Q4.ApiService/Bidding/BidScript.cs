using Q4.Data;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Q4.ApiService.Auctions;
using Q4.ApiService.Infrastructure;
using StackExchange.Redis;

namespace Q4.ApiService.Bidding;

public abstract record BidOutcome
{
    /// <summary>
    /// The bid was accepted now, or earlier under the same idempotency key (then this is that first answer, and
    /// <paramref name="Replayed"/>).
    /// </summary>
    public sealed record Accepted(string BidId, long Amount, DateTimeOffset PlacedAt, DateTimeOffset EndsAt, bool Replayed = false) : BidOutcome;

    public sealed record TooLow(long CurrentPrice, long MinimumBid) : BidOutcome;

    public sealed record NotOpen(DateTimeOffset StartsAt, DateTimeOffset EndsAt, bool Closed) : BidOutcome;
}

/// <summary>bid.lua, run by its SHA1 (see <see cref="EmbeddedLuaScript"/>).</summary>
public sealed class BidScript(IConnectionMultiplexer redis, AuctionFactsCache auctions, IOptions<BiddingOptions> options)
{
    private static readonly EmbeddedLuaScript Script = new(typeof(BidScript).Assembly, "Q4.ApiService.Bidding.bid.lua");

    /// <summary>
    /// Runs the script. Should Redis have lost the auction's live state, the script says so and is run once more with
    /// the row PostgreSQL holds now (never the cached facts, which may predate the last persisted bid).
    /// </summary>
    public async Task<BidOutcome> PlaceAsync(AuctionFacts auction, Guid bidderId, string bidderName, long amount, string? idempotencyKey)
    {
        var settings = options.Value;
        // A client span per call of the script; its id goes into the stream entry, so the sync service's batch links here.
        using var call = BiddingApi.Tracing.StartActivity("EVALSHA bid.lua", ActivityKind.Client);
        call?.SetTag("db.system.name", "redis");
        call?.SetTag("db.operation.name", "EVALSHA");
        RedisKey[] keys = idempotencyKey is null
            ? [RedisKeys.AuctionState(auction.Id), RedisKeys.BidStream, RedisKeys.AuctionEventStream(auction.Id), RedisKeys.AuctionEnds]
            : [RedisKeys.AuctionState(auction.Id), RedisKeys.BidStream, RedisKeys.AuctionEventStream(auction.Id), RedisKeys.AuctionEnds,
               RedisKeys.Idempotency(auction.Id, bidderId, idempotencyKey)];
        RedisValue[] values =
        [
            auction.Id.ToString(), bidderId.ToString(), bidderName, amount,
            Activity.Current?.Id ?? "", (long)settings.SoftCloseWindow.TotalMilliseconds,
            settings.EventsKeptPerAuction, (long)settings.IdempotencyLifetime.TotalSeconds, RedisKeys.AuctionEvents.ToString(),
        ];

        var reply = (RedisResult[])(await Script.EvaluateAsync(redis.GetDatabase(), keys, values))!;
        if ((string?)reply[0] == "missing")
        {
            // Not cancellable either: the caller's bid must be decided once it was sent.
            var persisted = await auctions.ReadPersistedAsync(auction.Id, CancellationToken.None)
                ?? throw new InvalidOperationException($"Auction {auction.Id} has no row any more.");
            call?.AddEvent(new ActivityEvent("live state missing: seeded from the persisted row"));
            reply = (RedisResult[])(await Script.EvaluateAsync(redis.GetDatabase(), keys, [.. values, .. SeedOf(persisted)]))!;
        }
        call?.SetTag("q4.bid.reply", (string?)reply[0]);
        return Read(reply, auction);
    }

    /// <summary>bid.lua's ARGV 10..18: the live state rebuilt from the persisted row.</summary>
    private static RedisValue[] SeedOf(AuctionFacts persisted) =>
    [
        persisted.StartsAt.ToUnixTimeMilliseconds(), persisted.EndsAt.ToUnixTimeMilliseconds(), persisted.StartingPrice,
        persisted.MinIncrement, persisted.CurrentPrice, persisted.HighestBidderId?.ToString() ?? "", persisted.BidCount,
        persisted.HighestBidderName ?? "", persisted.Closed ? "1" : "0",
    ];

    private static BidOutcome Read(RedisResult[] reply, AuctionFacts auction)
    {
        switch ((string)reply[0]!)
        {
            case "accepted":
            case "replay":
                // [bidId, amount, placedAt, endsAt, extended]
                var answer = JsonSerializer.Deserialize<string[]>((string)reply[1]!)!;
                return new BidOutcome.Accepted(answer[0], long.Parse(answer[1]), LuaScripts.ParseTime(answer[2]), LuaScripts.ParseTime(answer[3]),
                    Replayed: (string?)reply[0] == "replay");
            case "too_low":
                // [price, minimum]
                return new BidOutcome.TooLow((long)reply[1], (long)reply[2]);
            case "not_open":
                // [startsAt, endsAt, closed]
                return new BidOutcome.NotOpen(LuaScripts.ParseTime((string)reply[1]!), LuaScripts.ParseTime((string)reply[2]!), (string?)reply[3] == "1");
            default:
                throw new InvalidOperationException($"bid.lua answered '{reply[0]}' for auction {auction.Id}.");
        }
    }
}
