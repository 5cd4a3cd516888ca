using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Metrics;

/// <summary>
/// Q4's own instruments at a glance, over every resource: bids accepted (per second over the last ten seconds, and in
/// all: the sum of each replica's counter), the sync service's lag (its highest replica) and who watches live events
/// (each resource's replicas summed: the API's watchers and the browsers the front end relays to).
/// </summary>
public sealed record Q4Figures(double? AcceptedPerSecond, long AcceptedInAll, double? SyncLagSeconds, IReadOnlyList<(string Resource, long Watchers)> Watchers)
{
    private static readonly TimeSpan Recent = TimeSpan.FromSeconds(10);

    public long WatchersInAll => Watchers.Sum(w => w.Watchers);

    public static Q4Figures Read(TelemetryStore store, DateTimeOffset now)
    {
        var since = (ulong)(now - TimeSpan.FromMinutes(1)).ToUnixTimeMilliseconds() * 1_000_000;

        var accepted = store.GetInstrumentPoints(null, null, "q4.bids.accepted", 0);
        var rate = MetricChart.Build(InstrumentKind.Counter, "{bid}", accepted, _ => true, now, Recent, Recent).Lines[0].Latest;
        var inAll = accepted.Points.GroupBy(p => p.SeriesKey).Sum(series => (long)MetricChart.Number(series.Last()));

        var lag = store.GetInstrumentPoints(null, null, "q4.sync.lag", since);
        var lagNow = MetricChart.Build(InstrumentKind.Gauge, "s", lag, _ => true, now, Recent, Recent).Lines[0].Latest;

        var watchers = store.GetInstrumentPoints(null, null, "q4.events.watchers", since);
        var byResource = watchers.Points.Select(p => p.ServiceName).Distinct().Order(StringComparer.Ordinal)
            .Select(resource => (resource, (long)(MetricChart.Build(InstrumentKind.UpDownCounter, "{watcher}", watchers,
                p => p.ServiceName == resource, now, Recent, Recent).Lines[0].Latest ?? 0)))
            .ToList();
        return new Q4Figures(rate, inAll, lagNow, byResource);
    }
}
