namespace Q4.Data.Entities;

/// <summary>An accepted bid, persisted from the Redis stream. <see cref="StreamId"/> makes the copy idempotent.</summary>
public sealed class Bid
{
    public long Id { get; set; }

    /// <summary>The entry id in the global bid stream; also the bid's public id.</summary>
    public required string StreamId { get; set; }

    public Guid AuctionId { get; set; }

    public Guid BidderId { get; set; }

    public long Amount { get; set; }

    public DateTimeOffset PlacedAt { get; set; }

    public Auction Auction { get; set; } = null!;

    public User Bidder { get; set; } = null!;
}
