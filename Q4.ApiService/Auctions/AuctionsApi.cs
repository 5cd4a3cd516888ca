using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Q4.ApiService.Identity;
using Q4.ApiService.Infrastructure;
using Q4.Data;
using Q4.Data.Entities;
using Q4.Data.Options;
using StackExchange.Redis;

namespace Q4.ApiService.Auctions;

public static class AuctionsApi
{
    private sealed record BidKey(long Id);

    private const string ImagesNotAttachable =
        "Every image must exist, have been uploaded by you, and not be old enough for housekeeping to remove it.";

    public static IHostApplicationBuilder AddAuctions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuctionFactsCache>();
        builder.AddValidatedOptions<SearchOptions>(SearchOptions.Section);
        builder.Services.AddSingleton<SearchPageCache>();
        return builder;
    }

    public static RouteGroupBuilder MapAuctionsApi(this IEndpointRouteBuilder app)
    {
        var auctions = app.MapGroup("/auctions").WithTags("Auctions");
        auctions.MapGet("/", Search)
            .Describe("searchAuctions", "Search auctions by text, status and price, in one of seven orders, a page at a time.")
            .Paged()
            .AllowsValues("status", AuctionStatusNames.All)
            .AllowsValues("sort", SearchOrder.All.Select(order => order.Name))
            .TakesInt64("minPrice", "maxPrice")
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_cursor", "invalid_request");
        auctions.MapPost("/", CreateAuction).RequireAuthorization().RequireActiveUser()
            .Describe("createAuction", "List an item for auction; it opens at startsAt (now if left out) and ends at endsAt.")
            .Refuses(StatusCodes.Status400BadRequest, "validation", "invalid_request")
            .Refuses(StatusCodes.Status415UnsupportedMediaType, "unsupported_type");
        auctions.MapGet("/{id:guid}", GetAuction)
            .Describe("getAuction", "An auction in full, with its live price, bid count, end and the lowest bid accepted now.")
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        auctions.MapGet("/{id:guid}/bids", GetBids)
            .Describe("listAuctionBids", "The auction's persisted bids, newest first, a page at a time.")
            .Paged()
            .Refuses(StatusCodes.Status400BadRequest, "invalid_query", "invalid_cursor", "invalid_request")
            .Refuses(StatusCodes.Status404NotFound, "not_found");
        return auctions;
    }

    private static async Task<Results<Created<AuctionDetails>, ValidationProblem>> CreateAuction(
        CreateAuctionRequest body, CurrentUser user, Q4DbContext db, IConnectionMultiplexer redis, TimeProvider clock,
        IOptions<HousekeepingOptions> housekeeping, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var errors = AuctionRules.Check(body, now, out var valid);
        if (valid.ImageIds.Length > 0 && !errors.ContainsKey("imageIds"))
        {
            // An upload as old as the housekeeping lifetime may be swept any moment now: too late to attach it.
            var sweepableBefore = now - housekeeping.Value.UnattachedImageLifetime;
            var owned = await db.Images.CountAsync(
                i => valid.ImageIds.Contains(i.Id) && i.UploaderId == user.Id && i.CreatedAt > sweepableBefore, ct);
            if (owned != valid.ImageIds.Length)
            {
                errors["imageIds"] = [ImagesNotAttachable];
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var auction = new Auction
        {
            Id = Guid.CreateVersion7(),
            SellerId = user.Id,
            Title = valid.Title,
            Description = valid.Description,
            StartingPrice = valid.StartingPrice,
            MinIncrement = valid.MinIncrement,
            CurrentPrice = valid.StartingPrice,
            StartsAt = valid.StartsAt,
            EndsAt = valid.EndsAt,
            Status = AuctionStatus.Open,
            CreatedAt = now,
            Images = [.. valid.ImageIds.Select((image, position) => new AuctionImage { ImageId = image, Position = position })],
        };
        db.Auctions.Add(auction);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException
            { SqlState: PostgresErrorCodes.ForeignKeyViolation, TableName: "auction_images" })
        {
            // Housekeeping swept an image between the check above and this insert.
            return Problems.Validation("imageIds", ImagesNotAttachable);
        }

        var facts = new AuctionFacts(auction.Id, user.Id, user.Name, auction.Title, auction.Description, auction.StartingPrice,
            auction.MinIncrement, auction.StartsAt, auction.EndsAt, auction.CurrentPrice, null, null, 0, false, valid.ImageIds);
        // Should this process die right here, the first bid seeds the live state from PostgreSQL instead.
        await LiveState.SeedAsync(redis.GetDatabase(), facts);
        var live = new LiveState(facts.CurrentPrice, 0, null, null, facts.EndsAt, false);
        return TypedResults.Created($"/auctions/{auction.Id}", AuctionDetails.From(facts, live, now));
    }

    /// <summary>
    /// Found and ordered by what PostgreSQL holds (reused for a moment, see <see cref="SearchPageCache"/>); shown with
    /// the live price, bid count, end and status from Redis, read for the whole page in one round trip.
    /// </summary>
    private static async Task<Results<Ok<Page<AuctionSummary>>, ProblemHttpResult>> Search(
        [AsParameters] AuctionSearchRequest request, SearchPageCache pages, IConnectionMultiplexer redis,
        TimeProvider clock, CancellationToken ct)
    {
        if (!AuctionSearch.TryParse(request, out var query, out var problem))
        {
            return problem;
        }
        var rows = await pages.GetAsync(query, ct);
        var (shown, nextCursor) = Pagination.Split(rows, query.Take, row => row.Key);
        var live = await LiveState.ReadAsync(redis.GetDatabase(), shown, row => row.Id,
            row => new LiveState(row.CurrentPrice, row.BidCount, null, null, row.EndsAt, row.Closed));
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new Page<AuctionSummary>([.. shown.Select((row, i) => new AuctionSummary(
            row.Id, row.Title, live[i].Price, live[i].BidCount, row.StartsAt, live[i].EndsAt,
            AuctionStatusNames.Of(live[i].Closed, row.StartsAt, live[i].EndsAt, now),
            row.Thumbnail is { } image ? ImageUrls.For(image) : null, live[i].EventId))], nextCursor));
    }

    private static async Task<Results<Ok<AuctionDetails>, ProblemHttpResult>> GetAuction(
        Guid id, AuctionFactsCache auctions, IConnectionMultiplexer redis, TimeProvider clock, CancellationToken ct)
    {
        if (await auctions.GetAsync(id, ct) is not { } facts)
        {
            return Problems.NotFound("The auction");
        }
        var live = await LiveState.ReadAsync(redis.GetDatabase(), [facts]);
        return TypedResults.Ok(AuctionDetails.From(facts, live[0], clock.GetUtcNow()));
    }

    /// <summary>The persisted history, newest first. It trails the live price by the sync service's lag.</summary>
    private static async Task<Results<Ok<Page<BidHistoryItem>>, ProblemHttpResult>> GetBids(
        Guid id, int? limit, string? cursor, AuctionFactsCache auctions, Q4DbContext db, CancellationToken ct)
    {
        if (!Pagination.TryRead<BidKey>(limit, cursor, out var take, out var after, out var problem))
        {
            return problem;
        }
        if (await auctions.GetAsync(id, ct) is null)
        {
            return Problems.NotFound("The auction");
        }
        var query = db.Bids.Where(b => b.AuctionId == id);
        if (after is not null)
        {
            query = query.Where(b => b.Id < after.Id);
        }
        var rows = await query.OrderByDescending(b => b.Id).Take(take + 1)
            .Select(b => new { b.Id, Item = new BidHistoryItem(b.StreamId, b.AuctionId, b.Amount, new UserRef(b.BidderId, b.Bidder.Name), b.PlacedAt) })
            .ToListAsync(ct);
        return TypedResults.Ok(Pagination.ToPage(rows, take, row => new BidKey(row.Id), row => row.Item));
    }
}
