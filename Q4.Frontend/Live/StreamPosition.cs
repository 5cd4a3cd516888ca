namespace Q4.Frontend.Live;

/// <summary>
/// Where a page's event stream starts so that it misses nothing after what the page shows: the newest event the
/// API's values reflect (their <c>lastEventId</c>), handed to the stream as <c>?lastEventId=</c>. live.js reads it
/// from the page's <c>data-last-event-id</c> attributes.
/// </summary>
public static class StreamPosition
{
    /// <summary>The position before an auction's first event.</summary>
    public const string BeforeFirstEvent = "0-0";

    /// <summary>
    /// The position of values read with <paramref name="lastEventId"/> and <paramref name="bidCount"/>: an auction
    /// without bids and without a named event has had none (the stream replays every one from its start); null when
    /// the values came from where the position is unknown (the stream then starts at its newest event, as before).
    /// </summary>
    public static string? Of(string? lastEventId, int bidCount) =>
        lastEventId ?? (bidCount == 0 ? BeforeFirstEvent : null);
}
