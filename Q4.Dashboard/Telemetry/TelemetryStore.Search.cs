using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>A match of a free-text search: the item, and where the text was found (<c>name</c>, <c>message</c> or an attribute's key).</summary>
public sealed record Found<T>(T Item, string Where, string Text);

/// <summary>What a free-text search found, newest first, at most the limit of each kind; and how many matched in all.</summary>
public sealed record SearchResults(IReadOnlyList<Found<StoredSpan>> Spans, int SpanCount, IReadOnlyList<Found<StoredLog>> Logs, int LogCount);

public sealed partial class TelemetryStore
{
    /// <summary>
    /// Spans whose name or an attribute value holds <paramref name="text"/>, and log records whose message or an
    /// attribute value does (ignoring case); newest first, at most <paramref name="limit"/> of each.
    /// </summary>
    public SearchResults Search(string text, int limit)
    {
        List<StoredSpan> spans;
        List<StoredLog> logs;
        lock (_gate)
        {
            spans = [.. _oldestFirst.SelectMany(traceId => _traces[traceId])];
            logs = [.. _logs];
        }
        var foundSpans = spans.OrderByDescending(s => s.Sequence)
            .Select(s => Holding(text, s, ("name", s.Span.Name), s.Span.Attributes))
            .OfType<Found<StoredSpan>>()
            .ToList();
        var foundLogs = logs.OrderByDescending(l => l.Sequence)
            .Select(l => Holding(text, l, ("message", TelemetryText.Of(l.Record.Body)), l.Record.Attributes))
            .OfType<Found<StoredLog>>()
            .ToList();
        return new SearchResults([.. foundSpans.Take(limit)], foundSpans.Count, [.. foundLogs.Take(limit)], foundLogs.Count);
    }

    /// <summary>Where <paramref name="item"/> holds the text: its main text first, then its attributes' values; null when nowhere.</summary>
    private static Found<T>? Holding<T>(string text, T item, (string Where, string Text) main, IEnumerable<KeyValue> attributes)
    {
        if (main.Text.Contains(text, StringComparison.OrdinalIgnoreCase))
        {
            return new Found<T>(item, main.Where, main.Text);
        }
        foreach (var attribute in attributes)
        {
            var value = TelemetryText.Of(attribute.Value);
            if (value.Contains(text, StringComparison.OrdinalIgnoreCase))
            {
                return new Found<T>(item, attribute.Key, value);
            }
        }
        return null;
    }
}
