using System.Net;
using Q4.Frontend.Api;

namespace Q4.Frontend.Bidding;

/// <summary>
/// What became of one press of a bid button, in the words the page shows. <see cref="Decided"/> says the API answered
/// for good (accepted or refused), so the next press is a new attempt with a new <c>Idempotency-Key</c>; an attempt
/// whose answer was lost keeps its key, and sending it again can only ever place it once.
/// </summary>
public sealed record BidResult(bool Accepted, bool Decided, string Message, string? Code = null, long? MinimumBid = null, long? Amount = null,
    BidAccepted? Bid = null);

/// <summary>
/// One bid as the auction page places it, with or without script: the plain form post and the script's fetch both
/// end here, so both say the same thing about the same answer.
/// </summary>
public static class BidAttempt
{
    /// <summary>
    /// The amount typed (or a quick amount's button) as the form sends it, in euros; the API is sent cents. An amount
    /// that cannot be read is refused here without asking the API. An API refusal becomes words; a 401 is
    /// left to <c>UseSignInOnUnauthorized</c>, which sends the browser to sign in.
    /// </summary>
    public static async Task<BidResult> PlaceAsync(ApiClient api, Guid auctionId, string? amountText, string? idempotencyKey,
        CancellationToken ct)
    {
        if (!Money.TryParseEuros(amountText, out var amount, out var error))
        {
            return new BidResult(false, false, string.IsNullOrWhiteSpace(amountText) ? "Enter the amount you want to bid." : error,
                "validation");
        }
        if (amount == 0)
        {
            return new BidResult(false, false, "Enter an amount of more than €0.", "validation");
        }
        var key = string.IsNullOrWhiteSpace(idempotencyKey) ? NewKey() : idempotencyKey;
        try
        {
            var bid = await api.PlaceBidAsync(auctionId, amount, key, ct);
            return new BidResult(true, true, $"Your bid of {Format.Price(bid.Amount)} was accepted.", Amount: bid.Amount, Bid: bid);
        }
        catch (ApiProblem problem) when (problem.Status != HttpStatusCode.Unauthorized && (int)problem.Status < 500)
        {
            var minimum = problem.LongExtension("minimumBid");
            return new BidResult(false, true, Describe(problem), problem.Code, minimum, amount);
        }
        catch (Exception e) when (e is ApiProblem or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new BidResult(false, false, "Your bid could not be sent just now. Please try again: it will not be placed twice.",
                Unavailable, Amount: amount);
        }
    }

    /// <summary>The code of an attempt whose answer never came.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>A fresh attempt's <c>Idempotency-Key</c>.</summary>
    public static string NewKey() => Guid.NewGuid().ToString("n");

    private static string Describe(ApiProblem problem) => problem.Code switch
    {
        "bid_too_low" when problem.LongExtension("minimumBid") is { } minimum =>
            $"Your bid is too low: the minimum bid is now {Format.Price(minimum)}.",
        "bid_too_low" => "Your bid is too low.",
        "auction_not_open" => "This auction is not open for bids: it has not started yet or it has ended.",
        "own_auction" => "This is your own auction: sellers cannot bid on it.",
        "user_blocked" => "Your account is blocked, so you cannot bid. Please contact support.",
        "not_found" => "This auction no longer exists.",
        _ when problem.Errors.Count > 0 => string.Join(" ", problem.Errors.Values.SelectMany(v => v)),
        _ => problem.Detail ?? "Your bid was refused.",
    };
}
