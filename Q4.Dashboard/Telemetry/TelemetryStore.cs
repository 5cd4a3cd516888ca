using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>A span as the dashboard keeps it: the span, and who recorded it.</summary>
public sealed record StoredSpan(Resource Resource, InstrumentationScope Scope, Span Span)
{
    public string TraceId { get; } = Convert.ToHexStringLower(Span.TraceId.Span);

    /// <summary>The resource's <c>service.name</c> (the AppHost sets it to the resource's name).</summary>
    public string ServiceName { get; } = ServiceNameOf(Resource);

    internal static string ServiceNameOf(Resource resource) =>
        resource.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "unknown";
}

/// <summary>A log record as the dashboard keeps it: the record, and who wrote it.</summary>
public sealed record StoredLog(Resource Resource, InstrumentationScope Scope, LogRecord Record)
{
    /// <summary>The trace the record was written in, in hex; null outside any.</summary>
    public string? TraceId { get; } = Record.TraceId.IsEmpty ? null : Convert.ToHexStringLower(Record.TraceId.Span);

    public string ServiceName { get; } = StoredSpan.ServiceNameOf(Resource);
}

/// <summary>
/// The telemetry the dashboard received, in memory and bounded: at most <see cref="TelemetryLimits.MaxTraces"/> traces
/// and <see cref="TelemetryLimits.MaxLogs"/> log records (the oldest go first), and
/// <see cref="TelemetryLimits.MaxAttributes"/> attributes per item. One lock guards it;
/// an export is checked whole before any of it is kept, so a bad one changes nothing.
/// </summary>
public sealed class TelemetryStore(IOptions<TelemetryLimits> limits)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<StoredSpan>> _traces = [];
    private readonly LinkedList<string> _oldestFirst = [];
    private readonly Queue<StoredLog> _logs = [];

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

    /// <summary>Keeps the log records of an export that passed <see cref="Check(ExportLogsServiceRequest)"/>.</summary>
    public void Add(ExportLogsServiceRequest export)
    {
        var max = limits.Value;
        var logs = new List<StoredLog>();
        foreach (var resourceLogs in export.ResourceLogs)
        {
            var resource = resourceLogs.Resource ?? new Resource();
            Trim(resource.Attributes, max.MaxAttributes);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scope = scopeLogs.Scope ?? new InstrumentationScope();
                foreach (var record in scopeLogs.LogRecords)
                {
                    Trim(record.Attributes, max.MaxAttributes);
                    logs.Add(new StoredLog(resource, scope, record));
                }
            }
        }
        lock (_gate)
        {
            foreach (var log in logs)
            {
                _logs.Enqueue(log);
            }
            while (_logs.Count > max.MaxLogs)
            {
                _logs.Dequeue();
            }
        }
    }

    /// <summary>
    /// The newest log records that match (all given filters: resource, trace, at least <paramref name="minimumSeverity"/>,
    /// <paramref name="search"/> in the message), newest last, and how many matched.
    /// </summary>
    public (IReadOnlyList<StoredLog> Logs, int TotalCount) GetLogs(string? resource, string? traceId, int minimumSeverity, string? search, int limit)
    {
        lock (_gate)
        {
            var matching = _logs
                .Where(l => resource is null || l.ServiceName == resource)
                .Where(l => traceId is null || l.TraceId == traceId.ToLowerInvariant())
                .Where(l => (int)l.Record.SeverityNumber >= minimumSeverity)
                .Where(l => search is null || (l.Record.Body?.StringValue ?? "").Contains(search, StringComparison.OrdinalIgnoreCase))
                .ToList();
            return (matching.TakeLast(limit).ToList(), matching.Count);
        }
    }

    /// <summary>Keeps the spans of an export that passed <see cref="Check(ExportTraceServiceRequest)"/>.</summary>
    public void Add(ExportTraceServiceRequest export)
    {
        var max = limits.Value;
        var spans = new List<StoredSpan>();
        foreach (var resourceSpans in export.ResourceSpans)
        {
            var resource = resourceSpans.Resource ?? new Resource();
            Trim(resource.Attributes, max.MaxAttributes);
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
                    spans.Add(new StoredSpan(resource, scope, span));
                }
            }
        }
        lock (_gate)
        {
            foreach (var span in spans)
            {
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
    /// The newest spans that match (all given filters: resource, error or not, a link into trace
    /// <paramref name="linkedTo"/>), newest last, and how many matched.
    /// </summary>
    public (IReadOnlyList<StoredSpan> Spans, int TotalCount) GetSpans(string? resource, bool? hasError, string? linkedTo, int limit)
    {
        var linkedTrace = linkedTo is null ? null : Convert.FromHexString(linkedTo);
        lock (_gate)
        {
            var matching = _oldestFirst.SelectMany(traceId => _traces[traceId])
                .Where(s => resource is null || s.ServiceName == resource)
                .Where(s => linkedTrace is null || s.Span.Links.Any(l => l.TraceId.Span.SequenceEqual(linkedTrace)))
                .Where(s => hasError is null || (s.Span.Status?.Code == Status.Types.StatusCode.Error) == hasError)
                .ToList();
            return (matching.TakeLast(limit).ToList(), matching.Count);
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

    private static void Trim(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, int max)
    {
        while (attributes.Count > max)
        {
            attributes.RemoveAt(attributes.Count - 1);
        }
    }
}
