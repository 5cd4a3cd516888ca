using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Auctions;

/// <summary>A new auction; <c>startsAt</c> (default now) and <c>imageIds</c> may be left out.</summary>
[OpenApiContract.RequiredProperties("title", "description", "startingPrice", "minIncrement", "endsAt")]
public sealed record CreateAuctionRequest(
    string? Title, string? Description, long? StartingPrice, long? MinIncrement,
    DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, Guid[]? ImageIds);

public sealed record UserRef(Guid Id, string Name);

public sealed record ImageRef(Guid Id, string Url);

/// <summary>
/// An auction in full. Price, bids, bidder and end are the live values from Redis; <c>lastEventId</c> is the id of
/// the newest event they reflect (null before the first): open the event stream with <c>?lastEventId=</c> to get
/// every event that came after them.
/// </summary>
public sealed record AuctionDetails(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    [property: OpenApiContract.OneOf(AuctionStatusNames.Upcoming, AuctionStatusNames.Live, AuctionStatusNames.Ended)] string Status, string? ThumbnailUrl, string Description, UserRef Seller, long StartingPrice, long MinIncrement,
    UserRef? HighestBidder, IReadOnlyList<ImageRef> Images, UserRef? Winner, long MinimumBid, string? LastEventId)
{
    public static AuctionDetails From(AuctionFacts facts, LiveState live, DateTimeOffset now)
    {
        var highest = live.HighestBidderId is { } bidder ? new UserRef(bidder, live.HighestBidderName ?? "") : null;
        var status = AuctionStatusNames.Of(live.Closed, facts.StartsAt, live.EndsAt, now);
        return new AuctionDetails(
            facts.Id, facts.Title, live.Price, live.BidCount, facts.StartsAt, live.EndsAt, status,
            facts.ImageIds is [var first, ..] ? ImageUrls.For(first) : null,
            facts.Description, new UserRef(facts.SellerId, facts.SellerName), facts.StartingPrice, facts.MinIncrement,
            highest, [.. facts.ImageIds.Select(id => new ImageRef(id, ImageUrls.For(id)))],
            live.Closed ? highest : null,
            AuctionRules.MinimumBid(live.BidCount, facts.StartingPrice, live.Price, facts.MinIncrement),
            live.EventId);
    }
}

/// <summary>A persisted bid, as the history lists it.</summary>
public sealed record BidHistoryItem(string Id, Guid AuctionId, long Amount, UserRef Bidder, DateTimeOffset PlacedAt);
