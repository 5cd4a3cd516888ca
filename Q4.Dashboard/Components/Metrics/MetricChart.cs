using System.Globalization;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Metrics;

/// <summary>One line of a chart: its name and a value per interval (null where nothing is known).</summary>
public sealed record ChartLine(string Label, IReadOnlyList<double?> Values)
{
    public double? Latest => Values.LastOrDefault(v => v is not null);
}

/// <summary>
/// An instrument drawn over a window of time cut into equal intervals: its lines, the unit of their values, and
/// the end of each interval.
/// </summary>
public sealed record Chart(DateTimeOffset Start, TimeSpan Step, IReadOnlyList<ChartLine> Lines, string Unit)
{
    public DateTimeOffset End => Start + Step * (Lines.Count == 0 ? 0 : Lines[0].Values.Count);
}

/// <summary>
/// Turns an instrument's stored points into chart lines, interval by interval, over every series that passes the
/// filter: a counter as its rate per second (the growth of its cumulative points, summed over series; a value that
/// fell is a restart and counts from zero), an up-down counter as the sum of its series' newest values, a gauge as
/// the highest of them, a histogram as p50, p90 and p99 of the measurements made in each interval (read from its
/// bucket counts, linearly within a bucket). Delta points (rare here: the services send cumulative ones) count in the
/// interval they were measured in.
/// </summary>
public static class MetricChart
{
    /// <summary>How long a gauge's or up-down counter's value stands without a newer point.</summary>
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(30);

    public static Chart Build(InstrumentKind kind, string unit, InstrumentPoints data, Func<StoredMetricPoint, bool> include,
        DateTimeOffset end, TimeSpan window, TimeSpan step)
    {
        var count = (int)(window / step);
        var start = end - step * count;
        var boundaries = Enumerable.Range(0, count + 1).Select(i => Nanos(start + step * i)).ToArray();
        var series = data.Points.Where(include).GroupBy(p => p.SeriesKey).Select(s => s.ToList()).ToList();
        unit = Units.Plain(unit);
        return kind switch
        {
            InstrumentKind.Counter => new Chart(start, step, [new ChartLine("per second", Rate(series, data.KeptSince, boundaries, step))], unit + "/s"),
            InstrumentKind.UpDownCounter => new Chart(start, step, [new ChartLine("sum", Values(series, boundaries, values => values.Sum()))], unit),
            InstrumentKind.Gauge => new Chart(start, step, [new ChartLine("highest", Values(series, boundaries, values => values.Max()))], unit),
            InstrumentKind.Histogram => new Chart(start, step, Percentiles(series, data.KeptSince, boundaries), unit),
            _ => new Chart(start, step, [], unit),
        };
    }

    /// <summary>The growth per second of the counters' series between consecutive boundaries.</summary>
    private static double?[] Rate(List<List<StoredMetricPoint>> series, IReadOnlyDictionary<(string, string), ulong> keptSince,
        ulong[] boundaries, TimeSpan step)
    {
        var rates = new double?[boundaries.Length - 1];
        foreach (var points in series)
        {
            var delta = IsDelta(points[0].Metric);
            for (var i = 1; i < boundaries.Length; i++)
            {
                double? grown;
                if (delta)
                {
                    grown = points.Where(p => In(p, boundaries[i - 1], boundaries[i])).Sum(p => Number(p));
                }
                else
                {
                    var before = CumulativeAt(points, keptSince, boundaries[i - 1]) is { } b ? Number(b) : (double?)null;
                    var after = CumulativeAt(points, keptSince, boundaries[i]) is { } a ? Number(a) : (double?)null;
                    grown = before is null || after is null ? null : after < before ? after : after - before;
                }
                if (grown is { } value)
                {
                    rates[i - 1] = (rates[i - 1] ?? 0) + value / step.TotalSeconds;
                }
            }
        }
        return rates;
    }

    /// <summary>At each boundary, the series' newest values (not older than <see cref="Stale"/>) combined.</summary>
    private static double?[] Values(List<List<StoredMetricPoint>> series, ulong[] boundaries, Func<IEnumerable<double>, double> combine)
    {
        var values = new double?[boundaries.Length - 1];
        for (var i = 1; i < boundaries.Length; i++)
        {
            var newest = series.Select(points => LastAt(points, boundaries[i]))
                .Where(p => p is not null && TelemetryStore.TimeOf(p.Point) + (ulong)Stale.Ticks * 100 >= boundaries[i])
                .Select(p => Number(p!))
                .ToList();
            values[i - 1] = newest.Count == 0 ? null : combine(newest);
        }
        return values;
    }

    /// <summary>p50, p90 and p99 of what the histograms' series measured in each interval.</summary>
    private static ChartLine[] Percentiles(List<List<StoredMetricPoint>> series, IReadOnlyDictionary<(string, string), ulong> keptSince,
        ulong[] boundaries)
    {
        double[] quantiles = [0.5, 0.9, 0.99];
        var lines = quantiles.Select(_ => new double?[boundaries.Length - 1]).ToArray();
        var bounds = series.Select(points => ((HistogramDataPoint)points[^1].Point).ExplicitBounds.ToArray()).FirstOrDefault() ?? [];
        for (var i = 1; i < boundaries.Length; i++)
        {
            var counts = new double[bounds.Length + 1];
            foreach (var points in series.Where(s => ((HistogramDataPoint)s[^1].Point).ExplicitBounds.SequenceEqual(bounds)))
            {
                if (IsDelta(points[0].Metric))
                {
                    foreach (var point in points.Where(p => In(p, boundaries[i - 1], boundaries[i])))
                    {
                        Add(counts, Buckets(point), 1);
                    }
                    continue;
                }
                var before = CumulativeAt(points, keptSince, boundaries[i - 1]) is { } b ? Buckets(b) : null;
                var after = CumulativeAt(points, keptSince, boundaries[i]) is { } a ? Buckets(a) : null;
                if (before is null || after is null)
                {
                    continue;
                }
                var restarted = after.Sum() < before.Sum();
                Add(counts, after, 1);
                if (!restarted)
                {
                    Add(counts, before, -1);
                }
            }
            for (var q = 0; q < quantiles.Length; q++)
            {
                lines[q][i - 1] = Quantile(counts, bounds, quantiles[q]);
            }
        }
        return [.. quantiles.Select((q, index) => new ChartLine($"p{q * 100:0}", lines[index]))];
    }

    /// <summary>
    /// The value below which <paramref name="quantile"/> of the counted measurements lie, interpolated within its bucket
    /// (the first bucket from zero, the last, which has no upper bound, drawn at its lower one); null when none were counted.
    /// </summary>
    public static double? Quantile(IReadOnlyList<double> counts, IReadOnlyList<double> bounds, double quantile)
    {
        var total = counts.Sum();
        if (total <= 0)
        {
            return null;
        }
        var rank = quantile * total;
        var seen = 0.0;
        for (var bucket = 0; bucket < counts.Count; bucket++)
        {
            if (counts[bucket] <= 0 || seen + counts[bucket] < rank)
            {
                seen += counts[bucket];
                continue;
            }
            if (bucket >= bounds.Count)
            {
                return bounds.Count == 0 ? null : bounds[^1];
            }
            var lower = bucket == 0 ? Math.Min(0, bounds[0]) : bounds[bucket - 1];
            return lower + (bounds[bucket] - lower) * ((rank - seen) / counts[bucket]);
        }
        return bounds.Count == 0 ? null : bounds[^1];
    }

    /// <summary>
    /// A cumulative series' point at a time: its newest point then; a point of nothing counted when it had none yet
    /// although its replica was exporting (the series began later); null when that is not known (the replica's older
    /// points are gone).
    /// </summary>
    private static StoredMetricPoint? CumulativeAt(List<StoredMetricPoint> points, IReadOnlyDictionary<(string, string), ulong> keptSince,
        ulong time) =>
        LastAt(points, time)
        ?? (keptSince.TryGetValue((points[0].Source.Name, points[0].Source.InstanceId), out var since) && since <= time ? Zero(points[0]) : null);

    /// <summary>A point of the same series with nothing counted yet.</summary>
    private static StoredMetricPoint Zero(StoredMetricPoint point) => point with
    {
        Point = point.Point is HistogramDataPoint histogram
            ? new HistogramDataPoint { ExplicitBounds = { histogram.ExplicitBounds }, BucketCounts = { histogram.BucketCounts.Select(_ => 0UL) } }
            : new NumberDataPoint { AsDouble = 0 },
    };

    /// <summary>The newest point measured at or before <paramref name="time"/> (the points are oldest first).</summary>
    private static StoredMetricPoint? LastAt(List<StoredMetricPoint> points, ulong time)
    {
        for (var i = points.Count - 1; i >= 0; i--)
        {
            if (TelemetryStore.TimeOf(points[i].Point) <= time)
            {
                return points[i];
            }
        }
        return null;
    }

    private static bool In(StoredMetricPoint point, ulong after, ulong upTo) =>
        TelemetryStore.TimeOf(point.Point) > after && TelemetryStore.TimeOf(point.Point) <= upTo;

    private static bool IsDelta(Metric metric) => metric.DataCase switch
    {
        Metric.DataOneofCase.Sum => metric.Sum.AggregationTemporality == AggregationTemporality.Delta,
        Metric.DataOneofCase.Histogram => metric.Histogram.AggregationTemporality == AggregationTemporality.Delta,
        _ => false,
    };

    /// <summary>A number point's value, whether sent as an integer or a double.</summary>
    public static double Number(StoredMetricPoint point) => point.Point is NumberDataPoint number
        ? number.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? number.AsInt : number.AsDouble
        : 0;

    private static double[] Buckets(StoredMetricPoint point) =>
        point.Point is HistogramDataPoint histogram ? [.. histogram.BucketCounts.Select(c => (double)c)] : [];

    private static void Add(double[] into, double[] counts, int sign)
    {
        for (var i = 0; i < Math.Min(into.Length, counts.Length); i++)
        {
            into[i] += sign * counts[i];
        }
    }

    private static ulong Nanos(DateTimeOffset time) => (ulong)(time.ToUnixTimeMilliseconds() * 1_000_000);
}

/// <summary>Units as people read them: <c>{bid}</c> as bids, seconds below one as milliseconds, bytes in KiB and MiB.</summary>
public static class Units
{
    /// <summary>A UCUM annotation (<c>{bid}</c>) as a plural word (<c>bids</c>); other units as they are.</summary>
    public static string Plain(string unit) =>
        unit.StartsWith('{') && unit.EndsWith('}') ? unit[1..^1] + "s" : unit;

    public static string Format(double? value, string unit)
    {
        if (value is not { } v)
        {
            return "–";
        }
        var perSecond = unit.EndsWith("/s");
        var baseUnit = perSecond ? unit[..^2] : unit;
        var suffix = perSecond ? "/s" : "";
        return baseUnit switch
        {
            "s" when Math.Abs(v) < 1 && v != 0 => $"{Number(v * 1000)} ms{suffix}",
            "By" when Math.Abs(v) >= 1024 * 1024 => $"{Number(v / (1024 * 1024))} MiB{suffix}",
            "By" when Math.Abs(v) >= 1024 => $"{Number(v / 1024)} KiB{suffix}",
            "By" => $"{Number(v)} B{suffix}",
            "1" or "" => Number(v) + (perSecond ? " /s" : ""),
            _ => $"{Number(v)} {baseUnit}{suffix}",
        };
    }

    private static string Number(double value) => Math.Abs(value) switch
    {
        >= 100 => value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 1 => value.ToString("0.##", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };
}
