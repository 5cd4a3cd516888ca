using System.Diagnostics.Metrics;

namespace Q4.ApiService.Events;

/// <summary>
/// The live events' meter <c>Q4.Events</c>: clients watching, events written to them, and events that found a
/// client's queue full (the client is dropped with it, and replays from its last event when it reconnects). The front
/// end's relay records the same instruments under its own service name.
/// </summary>
public sealed class EventsMetrics
{
    public const string MeterName = "Q4.Events";

    private readonly UpDownCounter<long> _watchers;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _dropped;

    public EventsMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _watchers = meter.CreateUpDownCounter<long>("q4.events.watchers", "{watcher}", "Clients watching live events on this replica now");
        _sent = meter.CreateCounter<long>("q4.events.sent", "{event}", "Events written to watchers, replays included");
        _dropped = meter.CreateCounter<long>("q4.events.dropped", "{event}",
            "Events that found a watcher's queue full; that watcher is dropped and replays them when it reconnects");
    }

    public void WatcherJoined() => _watchers.Add(1);

    public void WatcherLeft() => _watchers.Add(-1);

    public void Sent() => _sent.Add(1);

    public void Dropped() => _dropped.Add(1);
}
