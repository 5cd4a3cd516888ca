using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Q4.ApiService.Auctions;
using Q4.ApiService.Identity;
using Q4.ApiService.Infrastructure;

namespace Q4.ApiService.Bidding;

[OpenApiContract.RequiredProperties("amount")]
public sealed record PlaceBidRequest([property: OpenApiContract.Int64] JsonElement Amount);

public sealed record BidAccepted(string Id, Guid AuctionId, long Amount, UserRef Bidder, DateTimeOffset PlacedAt, DateTimeOffset EndsAt);

public static class BiddingApi
{
    public const string IdempotencyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 100;

    /// <summary>The bid path's spans: <c>bid.place</c> here, and each call of bid.lua (<see cref="BidScript"/>).</summary>
    internal static readonly ActivitySource Tracing = new("Q4.Bidding");

    public static IHostApplicationBuilder AddBidding(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<BiddingOptions>(BiddingOptions.Section);
        builder.Services.AddSingleton<BidScript>();
        builder.Services.AddSingleton<BiddingMetrics>();
        return builder;
    }

    public static RouteGroupBuilder MapBiddingApi(this RouteGroupBuilder auctions)
    {
        auctions.MapPost("/{id:guid}/bids", PlaceBid).RequireAuthorization().RequireActiveUser()
            .Describe("placeBid", "Bid on an auction; with an Idempotency-Key, a retried request places the bid once.")
            .Explains(IdempotencyHeader, "Names the attempt (a UUID, say): sent again, it is answered with the bid it placed, " +
                "never a second one. Visible ASCII.", MaxIdempotencyKeyLength)
            .Refuses(StatusCodes.Status400BadRequest, "validation", "invalid_idempotency_key", "invalid_request")
            .Refuses(StatusCodes.Status403Forbidden, "own_auction")
            .Refuses(StatusCodes.Status404NotFound, "not_found")
            .Refuses(StatusCodes.Status409Conflict, "bid_too_low", "auction_not_open")
            .Refuses(StatusCodes.Status415UnsupportedMediaType, "unsupported_type");
        return auctions;
    }

    /// <summary>
    /// The hot path: the token was checked locally, the user and the auction come from in-process caches, and the
    /// bid itself is one round trip to Redis. No database, no identity provider.
    /// </summary>
    private static async Task<Results<Created<BidAccepted>, ProblemHttpResult, ValidationProblem>> PlaceBid(
        Guid id, PlaceBidRequest body, [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey,
        CurrentUser user, AuctionFactsCache auctions, BidScript script, BiddingMetrics metrics, ILogger<BidScript> logger,
        CancellationToken ct)
    {
        var started = BiddingMetrics.Start();
        if (!TryReadAmount(body.Amount, out var amount, out var amountError))
        {
            metrics.RefusedWith(started, "validation");
            return Problems.Validation("amount", amountError);
        }
        if (idempotencyKey is not null && !IsValidIdempotencyKey(idempotencyKey))
        {
            metrics.RefusedWith(started, "invalid_idempotency_key");
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid_idempotency_key", "The Idempotency-Key is not valid.",
                $"Use 1 to {MaxIdempotencyKeyLength} visible ASCII characters, such as a UUID.");
        }
        if (await auctions.GetAsync(id, ct) is not { } auction)
        {
            BidLog.Refused(logger, amount, id, user.Id, "not_found");
            metrics.RefusedWith(started, "not_found");
            return Problems.NotFound("The auction");
        }
        if (auction.SellerId == user.Id)
        {
            BidLog.Refused(logger, amount, id, user.Id, "own_auction");
            metrics.RefusedWith(started, "own_auction");
            return Problems.Problem(StatusCodes.Status403Forbidden, "own_auction", "Sellers cannot bid on their own auction.");
        }

        using var activity = Tracing.StartActivity("bid.place");
        activity?.SetTag("q4.auction.id", id);
        // Not cancellable: once the script runs the bid may be accepted, and the client leaving must not hide that.
        var outcome = await script.PlaceAsync(auction, user.Id, user.Name, amount, idempotencyKey);
        activity?.SetTag("q4.bid.amount", amount);
        switch (outcome)
        {
            case BidOutcome.Accepted accepted:
                metrics.AcceptedBid(started, accepted.Replayed);
                activity?.SetTag("q4.bid.outcome", "accepted");
                activity?.SetTag("q4.bid.replayed", accepted.Replayed);
                break;
            case BidOutcome.TooLow:
                BidLog.Outbid(logger, amount, id, user.Id);
                metrics.RefusedWith(started, "bid_too_low");
                activity?.SetTag("q4.bid.outcome", "bid_too_low");
                break;
            case BidOutcome.NotOpen:
                BidLog.Refused(logger, amount, id, user.Id, "auction_not_open");
                metrics.RefusedWith(started, "auction_not_open");
                activity?.SetTag("q4.bid.outcome", "auction_not_open");
                break;
        }
        return outcome switch
        {
            BidOutcome.Accepted accepted => TypedResults.Created($"/auctions/{id}/bids",
                new BidAccepted(accepted.BidId, id, accepted.Amount, new UserRef(user.Id, user.Name), accepted.PlacedAt, accepted.EndsAt)),
            BidOutcome.TooLow tooLow => Problems.Problem(StatusCodes.Status409Conflict, "bid_too_low", "The bid is too low.",
                $"The lowest bid accepted now is {tooLow.MinimumBid}.",
                [new("currentPrice", tooLow.CurrentPrice), new("minimumBid", tooLow.MinimumBid)]),
            BidOutcome.NotOpen notOpen => Problems.Problem(StatusCodes.Status409Conflict, "auction_not_open", "The auction is not open for bids.",
                notOpen.Closed ? "The auction has closed." : $"Bids are accepted from {notOpen.StartsAt:O} until {notOpen.EndsAt:O}.",
                [new("startsAt", notOpen.StartsAt), new("endsAt", notOpen.EndsAt)]),
            _ => throw new UnreachableException(),
        };
    }

    private static bool TryReadAmount(JsonElement value, out long amount, out string error)
    {
        amount = 0;
        error = $"The amount must be a whole number from 1 to {AuctionRules.MaxAmount}, in the smallest currency unit.";
        if (value.ValueKind == JsonValueKind.Undefined || value.ValueKind == JsonValueKind.Null)
        {
            error = "The amount is required.";
            return false;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out amount) && amount is >= 1 and <= AuctionRules.MaxAmount;
    }

    private static bool IsValidIdempotencyKey(string key) =>
        key.Length is >= 1 and <= MaxIdempotencyKeyLength && key.All(c => c is >= '!' and <= '~');
}

/// <summary>
/// What the bid path logs: refusals that say something about the client (no such auction, its own auction, not open)
/// at Information; a bid that was simply beaten, the everyday case of a busy auction, only at Debug.
/// </summary>
internal static partial class BidLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Bid of {Amount} on auction {AuctionId} by user {UserId} refused: {Code}")]
    public static partial void Refused(ILogger logger, long amount, Guid auctionId, Guid userId, string code);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bid of {Amount} on auction {AuctionId} by user {UserId} was too low")]
    public static partial void Outbid(ILogger logger, long amount, Guid auctionId, Guid userId);
}
