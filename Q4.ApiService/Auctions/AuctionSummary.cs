using Q4.ApiService.Infrastructure;
namespace Q4.ApiService.Auctions;

/// <summary>
/// An auction as lists show it. <c>lastEventId</c> is the id of the newest event its live values reflect (null before
/// the first): a list's event stream opened from these (see <c>watchAuctions</c>) misses nothing after them.
/// </summary>
public sealed record AuctionSummary(
    Guid Id, string Title, long CurrentPrice, int BidCount, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    [property: OpenApiContract.OneOf(AuctionStatusNames.Upcoming, AuctionStatusNames.Live, AuctionStatusNames.Ended)] string Status,
    string? ThumbnailUrl, string? LastEventId);

public static class AuctionStatusNames
{
    public const string Upcoming = "upcoming";
    public const string Live = "live";
    public const string Ended = "ended";

    public static readonly IReadOnlyList<string> All = [Upcoming, Live, Ended];

    /// <summary>What a bidder sees follows from the times; a settled auction has ended whatever its times say.</summary>
    public static string Of(bool closed, DateTimeOffset startsAt, DateTimeOffset endsAt, DateTimeOffset now) =>
        closed || now >= endsAt ? Ended
        : now < startsAt ? Upcoming
        : Live;
}

public static class ImageUrls
{
    /// <summary>Images are served by the API itself, from object storage.</summary>
    public static string For(Guid imageId) => $"/images/{imageId}";
}
