using System.ComponentModel.DataAnnotations;

namespace Q4.ApiService.Bidding;

/// <summary>Section <c>Bidding</c>.</summary>
public sealed class BiddingOptions
{
    public const string Section = "Bidding";

    /// <summary>A bid this close to the end pushes the end to the bid's time plus this window (soft close).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SoftCloseWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a repeated <c>Idempotency-Key</c> gets the first answer.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan IdempotencyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Events kept per auction for clients that reconnect (approximately: Redis trims in whole nodes).</summary>
    [Range(10, 100_000)]
    public int EventsKeptPerAuction { get; set; } = 1000;
}
