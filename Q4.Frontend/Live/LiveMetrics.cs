using System.Diagnostics.Metrics;

namespace Q4.Frontend.Live;

/// <summary>
/// The relay's meter <c>Q4.Live</c>: the same instruments as the API's live events (<c>q4.events.*</c>), for the
/// browsers this replica relays to; the service name tells the two apart. Heartbeats are not events and do not count.
/// </summary>
public sealed class LiveMetrics
{
    public const string MeterName = "Q4.Live";

    private readonly UpDownCounter<long> _watchers;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _dropped;

    public LiveMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _watchers = meter.CreateUpDownCounter<long>("q4.events.watchers", "{watcher}", "Browsers watching live events through this replica now");
        _sent = meter.CreateCounter<long>("q4.events.sent", "{event}", "Events written to browsers, replays from the relay included");
        _dropped = meter.CreateCounter<long>("q4.events.dropped", "{event}",
            "Frames that found a browser's queue full; that browser is dropped and replays them when it reconnects");
    }

    public void WatcherJoined() => _watchers.Add(1);

    public void WatcherLeft() => _watchers.Add(-1);

    public void Sent() => _sent.Add(1);

    public void Dropped() => _dropped.Add(1);
}
