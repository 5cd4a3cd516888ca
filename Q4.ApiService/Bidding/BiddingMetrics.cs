using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Q4.ApiService.Bidding;

/// <summary>
/// The bid path's meter <c>Q4.Bidding</c>: bids accepted, bids refused by their ProblemDetails code, and how long the
/// handler took. Tags are fixed strings, so recording a bid allocates nothing.
/// </summary>
public sealed class BiddingMetrics
{
    public const string MeterName = "Q4.Bidding";

    /// <summary>The outcomes the duration is tagged with: a new bid, the first answer given again, a refusal.</summary>
    public const string Accepted = "accepted", Replayed = "replayed", Refused = "refused";

    /// <summary>From half a millisecond (a warm cache and a local Redis) to ten seconds (a store that is struggling).</summary>
    private static readonly double[] DurationBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _refused;
    private readonly Histogram<double> _duration;

    public BiddingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("q4.bids.accepted", "{bid}", "Bids accepted (an idempotent retry answered with its first bid does not count again)");
        _refused = meter.CreateCounter<long>("q4.bids.refused", "{bid}", "Bids refused, by the code of the answer (reason)");
        _duration = meter.CreateHistogram("q4.bids.duration", "s", "Time the API took to decide a bid, from the handler's start to its answer",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    /// <summary>A timestamp to give <see cref="Decided"/> or <see cref="RefusedWith"/> when the bid is decided.</summary>
    public static long Start() => Stopwatch.GetTimestamp();

    /// <summary>An accepted bid; <paramref name="replayed"/> when it is the first answer to an idempotency key given again.</summary>
    public void AcceptedBid(long started, bool replayed)
    {
        if (!replayed)
        {
            _accepted.Add(1);
        }
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("outcome", replayed ? Replayed : Accepted));
    }

    /// <summary>A refused bid, with the <c>code</c> of its ProblemDetails (a constant string).</summary>
    public void RefusedWith(long started, string code)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("reason", code));
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", Refused));
    }
}
