using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>How an instrument's points are read: counters as a rate, up-down counters and gauges as values, histograms as percentiles.</summary>
public enum InstrumentKind { Counter, UpDownCounter, Gauge, Histogram, Other }

/// <summary>
/// One instrument of one resource: its meter (the OTLP scope), name, unit, description and kind, and the attribute
/// values its series carry (by key), which the metrics page offers as filters.
/// </summary>
public sealed record InstrumentInfo(string Meter, string Name, string Unit, string Description, InstrumentKind Kind,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Dimensions)
{
    public static InstrumentKind KindOf(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Sum => metric.Sum.IsMonotonic ? InstrumentKind.Counter : InstrumentKind.UpDownCounter,
        Metric.DataOneofCase.Gauge => InstrumentKind.Gauge,
        Metric.DataOneofCase.Histogram => InstrumentKind.Histogram,
        _ => InstrumentKind.Other,
    };
}

/// <summary>
/// An instrument's points over a span of time, oldest first, and for each replica (<see cref="StoredMetricPoint.Source"/>)
/// the time of the oldest point the store still keeps from it (by name and instance id): a series missing before a time its replica was already
/// exporting did not exist yet (counted as zero), one missing before that is unknown.
/// </summary>
public sealed record InstrumentPoints(IReadOnlyList<StoredMetricPoint> Points, IReadOnlyDictionary<(string Name, string InstanceId), ulong> KeptSince);

public sealed partial class TelemetryStore
{
    /// <summary>The store's position now: <see cref="WaitForNewerAsync"/> from here waits for the next item.</summary>
    public long Position
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    /// <summary>Every instrument the resource's replicas sent, by meter then name, with the attribute values of their series.</summary>
    public IReadOnlyList<InstrumentInfo> GetInstruments(string resource)
    {
        lock (_gate)
        {
            return _metrics.Where(m => m.Key.Item1 == resource)
                .SelectMany(m => m.Value)
                .GroupBy(p => (p.Scope.Name, p.Metric.Name))
                .Select(instrument =>
                {
                    var newest = instrument.Last().Metric;
                    var dimensions = instrument.SelectMany(p => StoredMetricPoint.AttributesOf(p.Point))
                        .GroupBy(a => a.Key)
                        .ToDictionary(byKey => byKey.Key,
                            byKey => (IReadOnlyList<string>)byKey.Select(a => TelemetryText.Of(a.Value)).Distinct().Order(StringComparer.Ordinal).ToList());
                    return new InstrumentInfo(instrument.Key.Item1, instrument.Key.Item2, newest.Unit, newest.Description,
                        InstrumentInfo.KindOf(newest), dimensions);
                })
                .OrderBy(i => i.Meter, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal)
                .ToList();
        }
    }

    /// <summary>
    /// The points of one instrument (of one resource and meter, or of any when <paramref name="resource"/> or
    /// <paramref name="meter"/> is null) timed at or after <paramref name="sinceUnixNano"/>, oldest first.
    /// </summary>
    public InstrumentPoints GetInstrumentPoints(string? resource, string? meter, string name, ulong sinceUnixNano)
    {
        lock (_gate)
        {
            var replicas = _metrics.Where(m => resource is null || m.Key.Item1 == resource).Select(m => m.Value).ToList();
            var points = replicas.SelectMany(series => series)
                .Where(p => p.Metric.Name == name && (meter is null || p.Scope.Name == meter) && TimeOf(p.Point) >= sinceUnixNano)
                .OrderBy(p => TimeOf(p.Point))
                .ToList();
            var keptSince = _metrics.Where(m => m.Value.Count > 0 && (resource is null || m.Key.Item1 == resource))
                .ToDictionary(m => m.Key, m => TimeOf(m.Value.Peek().Point));
            return new InstrumentPoints(points, keptSince);
        }
    }

    /// <summary>When a point was measured, in Unix nanoseconds.</summary>
    public static ulong TimeOf(Google.Protobuf.IMessage point) => point switch
    {
        NumberDataPoint number => number.TimeUnixNano,
        HistogramDataPoint histogram => histogram.TimeUnixNano,
        ExponentialHistogramDataPoint exponential => exponential.TimeUnixNano,
        SummaryDataPoint summary => summary.TimeUnixNano,
        _ => 0,
    };
}
