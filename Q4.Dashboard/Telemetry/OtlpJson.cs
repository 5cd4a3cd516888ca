using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// Spans as OTLP JSON (the shape of the OTLP/HTTP JSON encoding, which the telemetry API answers in): resources, then
/// scopes, then spans; ids in lowercase hex, times in Unix nanoseconds as strings, attribute values typed.
/// </summary>
public static class OtlpJson
{
    public static object ResourceSpans(IEnumerable<StoredSpan> spans) => new
    {
        resourceSpans = spans
            .GroupBy(s => s.Resource)
            .Select(byResource => new
            {
                resource = new { attributes = Attributes(byResource.Key.Attributes) },
                scopeSpans = byResource.GroupBy(s => s.Scope).Select(byScope => new
                {
                    scope = new { name = byScope.Key.Name, version = byScope.Key.Version },
                    spans = byScope.Select(s => Span(s.Span)),
                }),
            }),
    };

    public static object ResourceLogs(IEnumerable<StoredLog> logs) => new
    {
        resourceLogs = logs
            .GroupBy(l => l.Resource)
            .Select(byResource => new
            {
                resource = new { attributes = Attributes(byResource.Key.Attributes) },
                scopeLogs = byResource.GroupBy(l => l.Scope).Select(byScope => new
                {
                    scope = new { name = byScope.Key.Name, version = byScope.Key.Version },
                    logRecords = byScope.Select(l => Log(l.Record)),
                }),
            }),
    };

    private static object Log(LogRecord record) => new
    {
        timeUnixNano = record.TimeUnixNano.ToString(),
        observedTimeUnixNano = record.ObservedTimeUnixNano.ToString(),
        severityNumber = (int)record.SeverityNumber,
        severityText = record.SeverityText,
        body = Value(record.Body),
        attributes = Attributes(record.Attributes),
        traceId = record.TraceId.IsEmpty ? null : Hex(record.TraceId),
        spanId = record.SpanId.IsEmpty ? null : Hex(record.SpanId),
        eventName = record.EventName,
    };

    private static object Span(Span span) => new
    {
        traceId = Hex(span.TraceId),
        spanId = Hex(span.SpanId),
        parentSpanId = span.ParentSpanId.IsEmpty ? null : Hex(span.ParentSpanId),
        name = span.Name,
        kind = (int)span.Kind,
        startTimeUnixNano = span.StartTimeUnixNano.ToString(),
        endTimeUnixNano = span.EndTimeUnixNano.ToString(),
        attributes = Attributes(span.Attributes),
        events = span.Events.Select(e => new { timeUnixNano = e.TimeUnixNano.ToString(), name = e.Name, attributes = Attributes(e.Attributes) }),
        links = span.Links.Select(l => new { traceId = Hex(l.TraceId), spanId = Hex(l.SpanId), attributes = Attributes(l.Attributes) }),
        status = new { code = (int)(span.Status?.Code ?? Status.Types.StatusCode.Unset), message = span.Status?.Message ?? "" },
    };

    private static IEnumerable<object> Attributes(IEnumerable<KeyValue> attributes) =>
        attributes.Select(a => new { key = a.Key, value = Value(a.Value) });

    private static object? Value(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => new { stringValue = value.StringValue },
        AnyValue.ValueOneofCase.BoolValue => new { boolValue = value.BoolValue },
        AnyValue.ValueOneofCase.IntValue => new { intValue = value.IntValue.ToString() },
        AnyValue.ValueOneofCase.DoubleValue => new { doubleValue = value.DoubleValue },
        AnyValue.ValueOneofCase.ArrayValue => new { arrayValue = new { values = value.ArrayValue.Values.Select(Value) } },
        AnyValue.ValueOneofCase.KvlistValue => new { kvlistValue = new { values = Attributes(value.KvlistValue.Values) } },
        AnyValue.ValueOneofCase.BytesValue => new { bytesValue = value.BytesValue.ToBase64() },
        _ => null,
    };

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
