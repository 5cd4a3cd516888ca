using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Auctions;

/// <summary>What makes an auction valid; each broken rule is reported under the field it concerns.</summary>
public static class AuctionRules
{
    public const int MaxTitleLength = 200;
    public const int MaxDescriptionLength = 10_000;
    public const int MaxImages = 10;

    /// <summary>Money beyond this is refused: amounts stay exact in the bid script's double-precision arithmetic.</summary>
    public const long MaxAmount = 1_000_000_000_000_000;

    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(30);

    /// <summary>How far in the past a given start may lie (clocks differ a little); later starts are refused.</summary>
    public static readonly TimeSpan StartTolerance = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The lowest bid accepted next: the starting price until someone bids, then the price plus the increment.
    /// bid.lua applies the same rule where bids are decided and reports it; this copy tells readers of an auction.
    /// </summary>
    public static long MinimumBid(int bidCount, long startingPrice, long currentPrice, long minIncrement) =>
        bidCount == 0 ? startingPrice : currentPrice + minIncrement;

    public sealed record ValidAuction(string Title, string Description, long StartingPrice, long MinIncrement,
        DateTimeOffset StartsAt, DateTimeOffset EndsAt, Guid[] ImageIds);

    public static Dictionary<string, string[]> Check(CreateAuctionRequest request, DateTimeOffset now, out ValidAuction auction)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        var title = (request.Title ?? "").Trim();
        if (title.Length is 0 or > MaxTitleLength)
        {
            Fail("title", $"The title must be 1 to {MaxTitleLength} characters long.");
        }
        else if (title.Any(Text.IsControl))
        {
            Fail("title", "The title must not contain control characters.");
        }
        var description = request.Description ?? "";
        if (description.Length > MaxDescriptionLength)
        {
            Fail("description", $"The description must be at most {MaxDescriptionLength} characters long.");
        }
        if (request.StartingPrice is not (>= 0 and <= MaxAmount))
        {
            Fail("startingPrice", $"The starting price must be a whole number from 0 to {MaxAmount}.");
        }
        if (request.MinIncrement is not (>= 1 and <= MaxAmount))
        {
            Fail("minIncrement", $"The minimum increment must be a whole number from 1 to {MaxAmount}.");
        }
        var startsAt = request.StartsAt ?? now;
        if (startsAt < now - StartTolerance)
        {
            Fail("startsAt", "The start must not be in the past.");
        }
        if (request.EndsAt is not { } endsAt)
        {
            Fail("endsAt", "The end is required.");
            endsAt = default;
        }
        else if (endsAt <= now)
        {
            Fail("endsAt", "The end must be in the future.");
        }
        else if (endsAt <= startsAt)
        {
            Fail("endsAt", "The end must come after the start.");
        }
        else if (endsAt - startsAt > MaxDuration)
        {
            Fail("endsAt", $"An auction lasts at most {MaxDuration.TotalDays:0} days.");
        }
        var imageIds = request.ImageIds ?? [];
        if (imageIds.Length > MaxImages)
        {
            Fail("imageIds", $"An auction has at most {MaxImages} images.");
        }
        else if (imageIds.Distinct().Count() != imageIds.Length)
        {
            Fail("imageIds", "An image may appear only once.");
        }

        auction = new ValidAuction(title, description, request.StartingPrice ?? 0, request.MinIncrement ?? 0,
            ToMilliseconds(startsAt), ToMilliseconds(endsAt), imageIds);
        return errors;
    }

    /// <summary>Redis keeps times in milliseconds; PostgreSQL then holds exactly the same instants.</summary>
    private static DateTimeOffset ToMilliseconds(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}
