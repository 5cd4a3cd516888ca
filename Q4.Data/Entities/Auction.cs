using NpgsqlTypes;

namespace Q4.Data.Entities;

public sealed class Auction
{
    public Guid Id { get; set; }

    public Guid SellerId { get; set; }

    public required string Title { get; set; }

    public required string Description { get; set; }

    /// <summary>Money is a count of the smallest currency unit.</summary>
    public long StartingPrice { get; set; }

    public long MinIncrement { get; set; }

    /// <summary>The highest persisted bid, or the starting price while there is none.</summary>
    public long CurrentPrice { get; set; }

    public Guid? HighestBidderId { get; set; }

    public int BidCount { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    /// <summary>Moves later when a bid lands in the closing window (soft close).</summary>
    public DateTimeOffset EndsAt { get; set; }

    public AuctionStatus Status { get; set; }

    public Guid? WinnerId { get; set; }

    public DateTimeOffset? ClosedAt { get; set; }

    /// <summary>Full-text index over title and description, maintained by PostgreSQL.</summary>
    public NpgsqlTsVector Search { get; set; } = null!;

    public DateTimeOffset CreatedAt { get; set; }

    public User Seller { get; set; } = null!;

    public User? HighestBidder { get; set; }

    public User? Winner { get; set; }

    public List<AuctionImage> Images { get; set; } = [];
}

/// <summary>
/// What the database records. Whether an open auction is upcoming, live or ended follows from its times;
/// <see cref="Closed"/> means the sync service settled it (winner and final price written).
/// </summary>
public enum AuctionStatus
{
    Open,
    Closed,
}
