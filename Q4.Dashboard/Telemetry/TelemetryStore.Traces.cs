namespace Q4.Dashboard.Telemetry;

/// <summary>
/// One trace in a line, for the traces list: its first span's start, its root's name, the resources it touched (in
/// the order they first appear), how many spans and how many of them failed, and how long it ran from first start to
/// last end. Made only for the traces a page shows, so a long list costs no more than one page.
/// </summary>
public sealed record TraceSummary(string TraceId, string Name, DateTimeOffset Start, TimeSpan Duration, int SpanCount, int ErrorCount,
    IReadOnlyList<string> Resources)
{
    /// <summary>Sums up a trace's spans (at least one).</summary>
    public static TraceSummary Of(IReadOnlyList<StoredSpan> spans)
    {
        var start = spans.Min(s => s.Span.StartTimeUnixNano);
        var end = spans.Max(s => Math.Max(s.Span.EndTimeUnixNano, s.Span.StartTimeUnixNano));
        var ids = spans.Select(s => s.Span.SpanId).ToHashSet();
        // The root: a span without a parent, or whose parent was never received (a caller outside the graph).
        var root = spans.Where(s => s.Span.ParentSpanId.IsEmpty || !ids.Contains(s.Span.ParentSpanId)).MinBy(s => s.Span.StartTimeUnixNano)
            ?? spans.MinBy(s => s.Span.StartTimeUnixNano)!;
        return new(spans[0].TraceId, root.Span.Name, TimeOf(start), TimeSpan.FromTicks((long)((end - start) / 100)), spans.Count,
            spans.Count(s => s.HasError), [.. spans.OrderBy(s => s.Span.StartTimeUnixNano).Select(s => s.ServiceName).Distinct()]);
    }

    /// <summary>An OTLP time (nanoseconds since 1970, UTC) as a point in time, to the tick.</summary>
    public static DateTimeOffset TimeOf(ulong unixNano) => DateTimeOffset.UnixEpoch.AddTicks((long)(unixNano / 100));
}

public sealed partial class TelemetryStore
{
    /// <summary>
    /// A page of the traces with a span that matches (of the resource, with an error, named with the search text),
    /// newest first: <paramref name="take"/> of them after skipping <paramref name="skip"/>, summed up; how many
    /// matched; and the store's position, for waiting on what comes next.
    /// </summary>
    public Matches<TraceSummary> GetTraceSummaries(SpanQuery query, int skip, int take)
    {
        var matches = SpanFilter(query);
        var everything = query is { Resource: null, HasError: null, Search: null, After: 0 };
        var page = new List<List<StoredSpan>>();
        var total = 0;
        long position;
        lock (_gate)
        {
            for (var node = _oldestFirst.Last; node is not null; node = node.Previous)
            {
                var trace = _traces[node.Value];
                if (!everything && !trace.Any(matches))
                {
                    continue;
                }
                if (total >= skip && page.Count < take)
                {
                    page.Add([.. trace]);
                }
                total++;
                if (everything && page.Count == take)
                {
                    // Every trace matches: the count is known without looking at the rest.
                    total = _traces.Count;
                    break;
                }
            }
            position = _sequence;
        }
        return new([.. page.Select(TraceSummary.Of)], total, position);
    }

    /// <summary>Every span of one trace (empty when unknown or evicted), and the store's position when they were read.</summary>
    public Matches<StoredSpan> GetTraceSpans(string traceId)
    {
        lock (_gate)
        {
            List<StoredSpan> spans = _traces.TryGetValue(traceId.ToLowerInvariant(), out var trace) ? [.. trace] : [];
            return new(spans, spans.Count, _sequence);
        }
    }

    /// <summary>The summary of one trace, or null when it is not kept (never received, or evicted).</summary>
    public TraceSummary? GetTraceSummary(string traceId)
    {
        var spans = GetTrace(traceId);
        return spans.Count == 0 ? null : TraceSummary.Of(spans);
    }
}
