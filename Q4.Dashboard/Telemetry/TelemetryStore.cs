using Google.Protobuf;
using Google.Protobuf.Collections;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>Which spans a query wants: all given filters at once; only those newer than <see cref="After"/>.</summary>
public sealed record SpanQuery(string? Resource = null, bool? HasError = null, string? LinkedTo = null, string? Search = null, long After = 0);

/// <summary>Which log records a query wants: at least <see cref="MinimumSeverity"/>, <see cref="Search"/> in the message.</summary>
public sealed record LogQuery(string? Resource = null, string? TraceId = null, int MinimumSeverity = 0, string? Search = null, long After = 0);

/// <summary>Which metric points a query wants; with <see cref="Latest"/>, only the newest point of each series.</summary>
public sealed record MetricQuery(string? Resource = null, string? Name = null, bool Latest = false, long After = 0);

/// <summary>A page of what matched: the newest <c>limit</c> items (newest last), how many matched in all, and the
/// store's position when it was read (a <c>follow</c> reader goes on from there).</summary>
public sealed record Matches<T>(IReadOnlyList<T> Items, int TotalCount, long Position);

/// <summary>
/// The telemetry the dashboard received, in memory and bounded: at most <see cref="TelemetryLimits.MaxTraces"/> traces,
/// <see cref="TelemetryLimits.MaxLogs"/> log records and <see cref="TelemetryLimits.MaxMetricPointsPerResource"/> metric
/// points per resource (the oldest go first), and <see cref="TelemetryLimits.MaxAttributes"/> attributes per item.
/// One lock guards it; an export is checked whole before any of it is kept, so a bad one changes nothing. Every item
/// kept gets the next number of one sequence, so a reader that follows the store asks for what came after its last.
/// </summary>
public sealed partial class TelemetryStore(IOptions<TelemetryLimits> limits)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<StoredSpan>> _traces = [];
    private readonly LinkedList<string> _oldestFirst = [];
    private readonly Queue<StoredLog> _logs = [];
    private readonly Dictionary<(string, string), Queue<StoredMetricPoint>> _metrics = [];
    private readonly Dictionary<(string, string), TelemetryResource> _resources = [];
    private long _sequence;
    private TaskCompletionSource _added = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why the export cannot be kept, or null when it can.</summary>
    public static string? Check(ExportTraceServiceRequest export)
    {
        foreach (var span in export.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
        {
            if (span.TraceId.Length != 16 || span.TraceId.Span.IndexOfAnyExcept((byte)0) < 0)
            {
                return "A span's trace id is not 16 bytes, or is all zeros.";
            }
            if (span.SpanId.Length != 8 || span.SpanId.Span.IndexOfAnyExcept((byte)0) < 0)
            {
                return "A span's id is not 8 bytes, or is all zeros.";
            }
        }
        return null;
    }

    /// <summary>Why the export cannot be kept, or null when it can.</summary>
    public static string? Check(ExportLogsServiceRequest export)
    {
        foreach (var record in export.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords))
        {
            if (record.TraceId.Length is not (0 or 16) || record.SpanId.Length is not (0 or 8))
            {
                return "A log record's trace id is not 16 bytes or its span id not 8 (or both empty, outside a trace).";
            }
        }
        return null;
    }

    /// <summary>Why the export cannot be kept, or null when it can.</summary>
    public static string? Check(ExportMetricsServiceRequest export)
    {
        foreach (var metric in export.ResourceMetrics.SelectMany(r => r.ScopeMetrics).SelectMany(s => s.Metrics))
        {
            if (string.IsNullOrEmpty(metric.Name))
            {
                return "A metric has no name.";
            }
            if (metric.DataCase == Metric.DataOneofCase.None)
            {
                return $"Metric {metric.Name} has no data (a gauge, sum, histogram or summary).";
            }
        }
        return null;
    }

    /// <summary>Keeps the spans of an export that passed <see cref="Check(ExportTraceServiceRequest)"/>.</summary>
    public void Add(ExportTraceServiceRequest export)
    {
        var max = limits.Value;
        var spans = new List<StoredSpan>();
        foreach (var resourceSpans in export.ResourceSpans)
        {
            var source = SourceOf(resourceSpans.Resource, max);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope ?? new InstrumentationScope();
                foreach (var span in scopeSpans.Spans)
                {
                    Trim(span.Attributes, max.MaxAttributes);
                    foreach (var spanEvent in span.Events)
                    {
                        Trim(spanEvent.Attributes, max.MaxAttributes);
                    }
                    spans.Add(new StoredSpan(source, scope, span));
                }
            }
        }
        lock (_gate)
        {
            foreach (var span in spans)
            {
                Number(span);
                if (!_traces.TryGetValue(span.TraceId, out var trace))
                {
                    _traces[span.TraceId] = trace = [];
                    _oldestFirst.AddLast(span.TraceId);
                }
                trace.Add(span);
            }
            while (_traces.Count > max.MaxTraces)
            {
                _traces.Remove(_oldestFirst.First!.Value);
                _oldestFirst.RemoveFirst();
            }
            Announce(spans);
        }
    }

    /// <summary>Keeps the log records of an export that passed <see cref="Check(ExportLogsServiceRequest)"/>.</summary>
    public void Add(ExportLogsServiceRequest export)
    {
        var max = limits.Value;
        var logs = new List<StoredLog>();
        foreach (var resourceLogs in export.ResourceLogs)
        {
            var source = SourceOf(resourceLogs.Resource, max);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scope = scopeLogs.Scope ?? new InstrumentationScope();
                foreach (var record in scopeLogs.LogRecords)
                {
                    Trim(record.Attributes, max.MaxAttributes);
                    logs.Add(new StoredLog(source, scope, record));
                }
            }
        }
        lock (_gate)
        {
            foreach (var log in logs)
            {
                Number(log);
                _logs.Enqueue(log);
            }
            while (_logs.Count > max.MaxLogs)
            {
                _logs.Dequeue();
            }
            Announce(logs);
        }
    }

    /// <summary>Keeps the metric points of an export that passed <see cref="Check(ExportMetricsServiceRequest)"/>.</summary>
    public void Add(ExportMetricsServiceRequest export)
    {
        var max = limits.Value;
        var points = new List<StoredMetricPoint>();
        foreach (var resourceMetrics in export.ResourceMetrics)
        {
            var source = SourceOf(resourceMetrics.Resource, max);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                var scope = scopeMetrics.Scope ?? new InstrumentationScope();
                foreach (var metric in scopeMetrics.Metrics)
                {
                    var (instrument, metricPoints) = Split(metric);
                    foreach (var point in metricPoints)
                    {
                        Trim(StoredMetricPoint.AttributesOf(point) as RepeatedField<KeyValue>, max.MaxAttributes);
                        points.Add(new StoredMetricPoint(source, scope, instrument, point));
                    }
                }
            }
        }
        lock (_gate)
        {
            foreach (var point in points)
            {
                Number(point);
                var key = (point.Source.Name, point.Source.InstanceId);
                if (!_metrics.TryGetValue(key, out var series))
                {
                    _metrics[key] = series = new Queue<StoredMetricPoint>();
                }
                series.Enqueue(point);
                if (series.Count > max.MaxMetricPointsPerResource)
                {
                    series.Dequeue();
                }
            }
            Announce(points);
        }
    }

    /// <summary>Every span of one trace, in the order they arrived; empty when the trace is unknown (or evicted).</summary>
    public IReadOnlyList<StoredSpan> GetTrace(string traceId)
    {
        lock (_gate)
        {
            return _traces.TryGetValue(traceId.ToLowerInvariant(), out var trace) ? [.. trace] : [];
        }
    }

    /// <summary>
    /// The newest traces with a span that matches (from the resource, with an error, linked to a trace, named with
    /// the search text), each with all its spans, newest trace last; and how many traces matched.
    /// </summary>
    public Matches<IReadOnlyList<StoredSpan>> GetTraces(SpanQuery query, int limit)
    {
        var matches = SpanFilter(query);
        lock (_gate)
        {
            var matching = _oldestFirst.Select(id => _traces[id]).Where(trace => trace.Any(matches)).ToList();
            return new(matching.TakeLast(limit).Select(trace => (IReadOnlyList<StoredSpan>)[.. trace]).ToList(), matching.Count, _sequence);
        }
    }

    /// <summary>The newest spans that match, newest last, and how many matched.</summary>
    public Matches<StoredSpan> GetSpans(SpanQuery query, int limit)
    {
        var matches = SpanFilter(query);
        lock (_gate)
        {
            return Page(_oldestFirst.SelectMany(traceId => _traces[traceId]).Where(matches), limit);
        }
    }

    /// <summary>The newest log records that match, newest last, and how many matched.</summary>
    public Matches<StoredLog> GetLogs(LogQuery query, int limit)
    {
        var traceId = query.TraceId?.ToLowerInvariant();
        lock (_gate)
        {
            return Page(_logs
                .Where(l => l.Sequence > query.After)
                .Where(l => query.Resource is null || l.ServiceName == query.Resource)
                .Where(l => traceId is null || l.TraceId == traceId)
                .Where(l => (int)l.Record.SeverityNumber >= query.MinimumSeverity)
                .Where(l => query.Search is null || (l.Record.Body?.StringValue ?? "").Contains(query.Search, StringComparison.OrdinalIgnoreCase)),
                limit);
        }
    }

    /// <summary>The newest metric points that match (with <see cref="MetricQuery.Latest"/>, one per series), newest last.</summary>
    public Matches<StoredMetricPoint> GetMetrics(MetricQuery query, int limit)
    {
        lock (_gate)
        {
            var matching = _metrics.Values.SelectMany(points => points)
                .Where(p => p.Sequence > query.After)
                .Where(p => query.Resource is null || p.ServiceName == query.Resource)
                .Where(p => query.Name is null || p.Metric.Name == query.Name);
            if (query.Latest)
            {
                matching = matching.GroupBy(p => p.SeriesKey).Select(series => series.MaxBy(p => p.Sequence)!);
            }
            return Page(matching.OrderBy(p => p.Sequence), limit);
        }
    }

    /// <summary>Every resource that sent anything, each replica once, in the order they first did.</summary>
    public IReadOnlyList<TelemetryResource> GetResources()
    {
        lock (_gate)
        {
            return [.. _resources.Values];
        }
    }

    /// <summary>Completes once the store holds an item newer than <paramref name="position"/> (at once when it does).</summary>
    public Task WaitForNewerAsync(long position, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _sequence > position ? Task.CompletedTask : _added.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>How many traces are kept now.</summary>
    public int TraceCount
    {
        get
        {
            lock (_gate)
            {
                return _traces.Count;
            }
        }
    }

    private static Func<StoredSpan, bool> SpanFilter(SpanQuery query)
    {
        var linkedTrace = query.LinkedTo is null ? null : Convert.FromHexString(query.LinkedTo);
        return s => s.Sequence > query.After
            && (query.Resource is null || s.ServiceName == query.Resource)
            && (query.HasError is null || s.HasError == query.HasError)
            && (query.Search is null || s.Span.Name.Contains(query.Search, StringComparison.OrdinalIgnoreCase))
            && (linkedTrace is null || s.Span.Links.Any(l => l.TraceId.Span.SequenceEqual(linkedTrace)));
    }

    private Matches<T> Page<T>(IEnumerable<T> matching, int limit)
    {
        var all = matching.ToList();
        return new(all.TakeLast(limit).ToList(), all.Count, _sequence);
    }

    /// <summary>The resource an export came from (its attributes trimmed), remembered among the resources seen.</summary>
    private TelemetryResource SourceOf(Resource? resource, TelemetryLimits max)
    {
        resource ??= new Resource();
        Trim(resource.Attributes, max.MaxAttributes);
        var source = TelemetryResource.Of(resource);
        lock (_gate)
        {
            _resources.TryAdd((source.Name, source.InstanceId), source);
        }
        return source;
    }

    private void Number(StoredItem item) => item.Sequence = ++_sequence;

    /// <summary>Wakes every reader waiting for newer items (called under the lock, after numbering them).</summary>
    private void Announce<T>(List<T> added)
    {
        if (added.Count == 0)
        {
            return;
        }
        var waiting = _added;
        _added = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.SetResult();
    }

    /// <summary>The instrument without its points (name, unit, kind, temporality), and its points one by one.</summary>
    private static (Metric Instrument, IEnumerable<IMessage> Points) Split(Metric metric)
    {
        var instrument = new Metric { Name = metric.Name, Description = metric.Description, Unit = metric.Unit };
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                instrument.Gauge = new Gauge();
                return (instrument, metric.Gauge.DataPoints);
            case Metric.DataOneofCase.Sum:
                instrument.Sum = new Sum { AggregationTemporality = metric.Sum.AggregationTemporality, IsMonotonic = metric.Sum.IsMonotonic };
                return (instrument, metric.Sum.DataPoints);
            case Metric.DataOneofCase.Histogram:
                instrument.Histogram = new Histogram { AggregationTemporality = metric.Histogram.AggregationTemporality };
                return (instrument, metric.Histogram.DataPoints);
            case Metric.DataOneofCase.ExponentialHistogram:
                instrument.ExponentialHistogram = new ExponentialHistogram { AggregationTemporality = metric.ExponentialHistogram.AggregationTemporality };
                return (instrument, metric.ExponentialHistogram.DataPoints);
            default:
                instrument.Summary = new Summary();
                return (instrument, metric.Summary.DataPoints);
        }
    }

    private static void Trim(RepeatedField<KeyValue>? attributes, int max)
    {
        while (attributes?.Count > max)
        {
            attributes.RemoveAt(attributes.Count - 1);
        }
    }
}
