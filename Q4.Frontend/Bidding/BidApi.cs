using Q4.Frontend.Api;

namespace Q4.Frontend.Bidding;

/// <summary>
/// The auction page's bid form, posted by its script: the same fields and antiforgery token as the plain form post,
/// answered with JSON so the page stays as it is (its live stream open) and shows the outcome in place.
/// </summary>
public static class BidApi
{
    /// <summary>The answer the script reads: the outcome, and the key for the next attempt.</summary>
    public sealed record BidAnswer(bool Accepted, string Message, string? Code, long? MinimumBid, string IdempotencyKey);

    public static WebApplication MapBidApi(this WebApplication app)
    {
        app.MapPost("/auctions/{id:guid}/bid", PlaceBidAsync).RequireAuthorization();
        return app;
    }

    private static async Task<IResult> PlaceBidAsync(Guid id, IFormCollection form, ApiClient api, CancellationToken ct)
    {
        var key = form[BidForm.IdempotencyKey].ToString();
        var result = await BidAttempt.PlaceAsync(api, id, BidForm.AmountOf(form[BidForm.Quick], form[BidForm.Amount]), key, ct);
        var answer = new BidAnswer(result.Accepted, result.Message, result.Code, result.MinimumBid,
            result.Decided || string.IsNullOrWhiteSpace(key) ? BidAttempt.NewKey() : key);
        return result.Accepted
            ? TypedResults.Ok(answer)
            : TypedResults.Json(answer, statusCode: result.Code == BidAttempt.Unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status409Conflict);
    }
}

/// <summary>The bid form's field names, shared by the page that renders it and the endpoints that read it.</summary>
public static class BidForm
{
    public const string Name = "bid";
    public const string Amount = "Amount";
    public const string Quick = "Quick";
    public const string IdempotencyKey = "IdempotencyKey";

    /// <summary>A quick amount's button names the amount itself; otherwise the typed amount counts. Both are in euros.</summary>
    public static string? AmountOf(string? quick, string? typed) => string.IsNullOrWhiteSpace(quick) ? typed : quick;
}
