using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Components.Logs;

/// <summary>
/// The structured logs page's filters as a person types them and as the query string carries them
/// (<c>/structured?resource=apiservice&amp;severity=error&amp;search=refused&amp;attribute=AuctionId=…&amp;traceId=…</c>):
/// each checked on its own, so a wrong one is named and the others still hold.
/// </summary>
public sealed record StructuredFilter(string? Resource = null, string? Severity = null, string? Search = null, string? Attribute = null,
    string? TraceId = null)
{
    /// <summary>The filter as the store takes it, and what is wrong with the input (empty when nothing is).</summary>
    public (LogFilter Filter, IReadOnlyList<string> Problems) Check()
    {
        var problems = new List<string>();
        var filter = new LogFilter(Resource: Blank(Resource), Search: Blank(Search));
        if (Blank(Severity) is { } severity)
        {
            if (TelemetryApi.Severities.TryGetValue(severity, out var minimum))
            {
                filter = filter with { MinimumSeverity = minimum };
            }
            else
            {
                problems.Add($"The level “{severity}” is not one of {string.Join(", ", TelemetryApi.Severities.Keys)}.");
            }
        }
        if (Blank(Attribute) is { } attribute)
        {
            var equals = attribute.IndexOf('=');
            if (equals > 0)
            {
                filter = filter with { AttributeKey = attribute[..equals].Trim(), AttributeValue = attribute[(equals + 1)..].Trim() };
            }
            else
            {
                problems.Add($"An attribute filter is key=value (q4.auction_id=…, say), not “{attribute}”.");
            }
        }
        if (Blank(TraceId) is { } traceId)
        {
            if (traceId.Length == 32 && traceId.All(char.IsAsciiHexDigit))
            {
                filter = filter with { TraceId = traceId.ToLowerInvariant() };
            }
            else
            {
                problems.Add($"A trace id is 32 hexadecimal digits, not “{traceId}”.");
            }
        }
        return (filter, problems);
    }

    /// <summary>The page's address with these filters (empty ones left out).</summary>
    public string Url()
    {
        var query = new (string Name, string? Value)[]
        {
            ("resource", Resource), ("severity", Severity), ("search", Search), ("attribute", Attribute), ("traceId", TraceId),
        }.Where(p => Blank(p.Value) is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!.Trim())}").ToList();
        return query.Count == 0 ? "structured" : "structured?" + string.Join('&', query);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
