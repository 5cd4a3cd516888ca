namespace Q4.Frontend.Api;

// The API's answers as the front end reads them (the contract is Q4.ApiService's OpenAPI document). Money is in
// cents (Format and Money turn it into euros and back); times are UTC.

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public sealed record UserRef(Guid Id, string Name);

public sealed record ImageRef(Guid Id, string Url);

public sealed record AuctionSummary(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    string Status, string? ThumbnailUrl, string? LastEventId);

public sealed record AuctionDetails(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    string Status, string? ThumbnailUrl, string Description, UserRef Seller, long StartingPrice, long MinIncrement,
    UserRef? HighestBidder, IReadOnlyList<ImageRef> Images, UserRef? Winner, long MinimumBid, string? LastEventId);

public sealed record BidHistoryItem(string Id, Guid AuctionId, long Amount, UserRef Bidder, DateTimeOffset PlacedAt);

public sealed record BidAccepted(string Id, Guid AuctionId, long Amount, UserRef Bidder, DateTimeOffset PlacedAt, DateTimeOffset EndsAt);

public sealed record CreateAuction(
    string? Title, string? Description, long? StartingPrice, long? MinIncrement,
    DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, IReadOnlyList<Guid> ImageIds);

public sealed record UploadedImage(Guid Id, string Url);

public sealed record Me(Guid Id, string Name, string? Email, bool Blocked, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt);

public sealed record MyBid(string Id, Guid AuctionId, string AuctionTitle, long Amount, DateTimeOffset PlacedAt);

/// <summary>An auction the user bid on; <see cref="Standing"/> is one of <see cref="Standings"/>.</summary>
public sealed record MyBidAuction(AuctionSummary Auction, long MyHighestBid, string Standing);

public static class Standings
{
    public const string Winning = "winning";
    public const string Outbid = "outbid";
    public const string Won = "won";
    public const string Lost = "lost";
}

public sealed record AdminUser(Guid Id, string Name, string? Email, string Issuer, string Subject, bool Blocked, DateTimeOffset CreatedAt);

/// <summary>What the search page asks for; the names are the API's query parameters, and the page's URL uses them too.</summary>
public sealed record SearchQuery(
    string? Q = null, string? Status = null, long? MinPrice = null, long? MaxPrice = null, string? Sort = null,
    int? Limit = null, string? Cursor = null);

public static class AuctionStatus
{
    public const string Upcoming = "upcoming";
    public const string Live = "live";
    public const string Ended = "ended";
}
