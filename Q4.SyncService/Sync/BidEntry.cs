using StackExchange.Redis;

namespace Q4.SyncService.Sync;

/// <summary>An accepted bid as bid.lua wrote it to the global stream.</summary>
public sealed record BidEntry(string StreamId, Guid AuctionId, Guid BidderId, string BidderName, long Amount,
    DateTimeOffset PlacedAt, DateTimeOffset EndsAt, string? TraceParent)
{
    /// <summary>The entry as a bid, or the reason it is not one (the entry then goes to the dead letters).</summary>
    public static (BidEntry? Bid, string? Error) Parse(StreamEntry entry)
    {
        string? Field(string name) => entry[name] is { IsNull: false } value ? value.ToString() : null;
        if (!Guid.TryParse(Field("auction"), out var auction))
        {
            return (null, "the field 'auction' is missing or not a UUID");
        }
        if (!Guid.TryParse(Field("bidder"), out var bidder))
        {
            return (null, "the field 'bidder' is missing or not a UUID");
        }
        if (!long.TryParse(Field("amount"), out var amount) || amount < 0)
        {
            return (null, "the field 'amount' is missing or not a whole number");
        }
        if (!long.TryParse(Field("placedAt"), out var placedAt) || !long.TryParse(Field("endsAt"), out var endsAt))
        {
            return (null, "the fields 'placedAt' and 'endsAt' must be unix milliseconds");
        }
        return (new BidEntry(entry.Id!, auction, bidder, Field("bidderName") ?? "", amount,
            DateTimeOffset.FromUnixTimeMilliseconds(placedAt), DateTimeOffset.FromUnixTimeMilliseconds(endsAt),
            Field("traceparent")), null);
    }
}
