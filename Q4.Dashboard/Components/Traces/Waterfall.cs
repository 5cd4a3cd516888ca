using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Traces;

/// <summary>
/// One line of a waterfall: a span, how deep it sits under its root, and where its bar lies on the trace's time line
/// (start and width in percent of the whole trace).
/// </summary>
public sealed record WaterfallRow(StoredSpan Stored, string SpanId, int Depth, TimeSpan Offset, TimeSpan Duration, double Left, double Width)
{
    public string Name => Stored.Span.Name;
}

/// <summary>Lays a trace's spans out as a waterfall: each under its parent, siblings by start time.</summary>
public static class Waterfall
{
    /// <summary>The narrowest bar drawn, in percent, so an instant span is still seen.</summary>
    private const double MinimumWidth = 0.3;

    public static IReadOnlyList<WaterfallRow> Rows(IReadOnlyList<StoredSpan> spans)
    {
        if (spans.Count == 0)
        {
            return [];
        }
        var start = spans.Min(s => s.Span.StartTimeUnixNano);
        var end = spans.Max(s => Math.Max(s.Span.StartTimeUnixNano, s.Span.EndTimeUnixNano));
        var total = Math.Max(end - start, 1UL);
        var byId = spans.GroupBy(s => TraceFormat.Hex(s.Span.SpanId)).ToDictionary(g => g.Key, g => g.First());
        var children = spans
            .Where(s => !s.Span.ParentSpanId.IsEmpty && byId.ContainsKey(TraceFormat.Hex(s.Span.ParentSpanId)))
            .GroupBy(s => TraceFormat.Hex(s.Span.ParentSpanId))
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Span.StartTimeUnixNano).ToList());
        // Roots: no parent, or a parent never received (a caller outside the graph, or a span still on its way).
        var roots = spans.Where(s => s.Span.ParentSpanId.IsEmpty || !byId.ContainsKey(TraceFormat.Hex(s.Span.ParentSpanId)))
            .OrderBy(s => s.Span.StartTimeUnixNano);

        var rows = new List<WaterfallRow>(spans.Count);
        var placed = new HashSet<string>();
        void Place(StoredSpan span, int depth)
        {
            var id = TraceFormat.Hex(span.Span.SpanId);
            if (!placed.Add(id))
            {
                return;
            }
            var offset = span.Span.StartTimeUnixNano - start;
            var length = span.Span.EndTimeUnixNano > span.Span.StartTimeUnixNano ? span.Span.EndTimeUnixNano - span.Span.StartTimeUnixNano : 0;
            var left = 100.0 * offset / total;
            rows.Add(new WaterfallRow(span, id, depth, FromNanoseconds(offset), FromNanoseconds(length), left,
                Math.Min(Math.Max(100.0 * length / total, MinimumWidth), 100 - left)));
            foreach (var child in children.GetValueOrDefault(id) ?? [])
            {
                Place(child, depth + 1);
            }
        }
        foreach (var root in roots)
        {
            Place(root, 0);
        }
        // A span in a loop of parents (bad data) has no root above it: listed at the end, not lost.
        foreach (var rest in spans.OrderBy(s => s.Span.StartTimeUnixNano))
        {
            Place(rest, 0);
        }
        return rows;
    }

    public static TimeSpan FromNanoseconds(ulong nanoseconds) => TimeSpan.FromTicks((long)(nanoseconds / 100));
}
