using System.ComponentModel.DataAnnotations;

namespace Q4.Frontend.Live;

/// <summary>Section <c>Live</c>: how the front end relays the auctions' event streams to browsers.</summary>
public sealed class LiveOptions
{
    public const string Section = "Live";

    /// <summary>
    /// The newest events of each relayed auction kept for browsers that reconnect: one whose last event is among them
    /// is served here; one further behind is passed to the API, which replays from its stream.
    /// </summary>
    [Range(1, 100_000)]
    public int KeptEvents { get; set; } = 512;

    /// <summary>A comment line this often, on a quiet auction, keeps proxies from closing the browsers' streams.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Events a browser may fall behind by before its stream is ended (it reconnects and replays).</summary>
    [Range(1, 100_000)]
    public int WatcherQueueCapacity { get; set; } = 1024;

    /// <summary>How long an auction's stream from the API stays open after its last watcher left.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a browser waits for the auction's stream from the API to open before its request is forwarded to the
    /// API instead.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A stream from the API that sends nothing, not even a heartbeat, for this long is taken for dead (a replica that
    /// stalls) and opened again from the last event, on another replica if this one cannot be reached.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan UpstreamSilence { get; set; } = TimeSpan.FromSeconds(45);
}
