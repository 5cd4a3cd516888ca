using System.ComponentModel.DataAnnotations;

namespace Q4.ApiService.Events;

/// <summary>Section <c>Events</c>: the live feed.</summary>
public sealed class EventsOptions
{
    public const string Section = "Events";

    /// <summary>A comment line this often keeps proxies from closing a quiet stream.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Events a client may fall behind by before it is dropped (it reconnects and replays).</summary>
    [Range(1, 100_000)]
    public int ClientQueueCapacity { get; set; } = 1024;
}
