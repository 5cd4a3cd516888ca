using System.Globalization;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// Which log records the structured logs page wants, all given filters at once: from a resource (its name, or one
/// replica's <c>service.instance.id</c>), of a trace, at least a severity, with text in the message, and with an
/// attribute of the record equal to a value (compared as text, any case).
/// </summary>
public sealed record LogFilter(string? Resource = null, string? TraceId = null, int MinimumSeverity = 0, string? Search = null,
    string? AttributeKey = null, string? AttributeValue = null);

public sealed partial class TelemetryStore
{
    /// <summary>Every log record that matches, newest first, and the store's position when it was read.</summary>
    public Matches<StoredLog> GetLogsNewestFirst(LogFilter filter)
    {
        var traceId = filter.TraceId?.ToLowerInvariant();
        lock (_gate)
        {
            var matching = _logs
                .Where(l => filter.Resource is null || l.ServiceName == filter.Resource || l.Source.InstanceId == filter.Resource)
                .Where(l => traceId is null || l.TraceId == traceId)
                .Where(l => (int)l.Record.SeverityNumber >= filter.MinimumSeverity)
                .Where(l => filter.Search is null || (l.Record.Body?.StringValue ?? "").Contains(filter.Search, StringComparison.OrdinalIgnoreCase))
                .Where(l => filter.AttributeKey is null || l.Record.Attributes.Any(a =>
                    a.Key == filter.AttributeKey && string.Equals(TelemetryText.Of(a.Value), filter.AttributeValue, StringComparison.OrdinalIgnoreCase)))
                .Reverse()
                .ToList();
            return new(matching, matching.Count, _sequence);
        }
    }

    /// <summary>The name of the severity an OTLP severity number falls in (Information for 9 to 12, …); empty for none.</summary>
    public static string SeverityName(int number) =>
        TelemetryApi.Severities.Where(s => s.Value <= number).MaxBy(s => s.Value).Key ?? "";
}
