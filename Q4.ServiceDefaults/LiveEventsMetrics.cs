using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The live events' instruments, <c>q4.events.*</c>: who watches now, the events written to them, and the frames that
/// found a watcher's queue full (that watcher is dropped and replays from its last event when it reconnects). The API
/// records them for the clients it streams to (meter <c>Q4.Events</c>), the front end's relay for the browsers it
/// relays to (meter <c>Q4.Live</c>); heartbeats are not events and do not count.
/// </summary>
public sealed class LiveEventsMetrics
{
    private readonly UpDownCounter<long> _watchers;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _dropped;

    public LiveEventsMetrics(IMeterFactory meters, string meterName)
    {
        var meter = meters.Create(meterName);
        _watchers = meter.CreateUpDownCounter<long>("q4.events.watchers", "{watcher}", "Watchers of live events on this replica now");
        _sent = meter.CreateCounter<long>("q4.events.sent", "{event}", "Events written to watchers, replays included");
        _dropped = meter.CreateCounter<long>("q4.events.dropped", "{event}",
            "Frames that found a watcher's queue full; that watcher is dropped and replays them when it reconnects");
    }

    public void WatcherJoined() => _watchers.Add(1);

    public void WatcherLeft() => _watchers.Add(-1);

    public void Sent() => _sent.Add(1);

    public void Dropped() => _dropped.Add(1);
}
