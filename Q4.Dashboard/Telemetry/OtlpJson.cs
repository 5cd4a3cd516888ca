using System.Globalization;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// Telemetry as OTLP JSON (the shape of the OTLP/HTTP JSON encoding, which the telemetry API answers in): resources,
/// then scopes, then spans, log records or metrics; ids in lowercase hex, times in Unix nanoseconds and 64-bit integers
/// as strings, attribute values typed, and doubles that JSON has no number for (NaN, ±Infinity) as
/// the strings protobuf's JSON mapping reads back.
/// </summary>
public static class OtlpJson
{
    public static object ResourceSpans(IEnumerable<StoredSpan> spans) =>
        ByResourceAndScope(spans, "resourceSpans", "scopeSpans", "spans", inScope => inScope.Select(s => Span(s.Span)));

    public static object ResourceLogs(IEnumerable<StoredLog> logs) =>
        ByResourceAndScope(logs, "resourceLogs", "scopeLogs", "logRecords", inScope => inScope.Select(l => Log(l.Record)));

    /// <summary>Points grouped by resource, scope and instrument, each instrument with its kind (gauge, sum, …).</summary>
    public static object ResourceMetrics(IEnumerable<StoredMetricPoint> points) =>
        ByResourceAndScope(points, "resourceMetrics", "scopeMetrics", "metrics",
            inScope => inScope.GroupBy(p => p.Metric).Select(byMetric => Instrument(byMetric.Key, byMetric.Select(p => p.Point))));

    /// <summary>
    /// OTLP's nesting, the same for every signal: items grouped by resource, then by instrumentation scope, under the
    /// signal's own names (<c>resourceSpans</c> / <c>scopeSpans</c> / <c>spans</c>, and so on).
    /// </summary>
    private static Dictionary<string, object> ByResourceAndScope<T>(
        IEnumerable<T> items, string resources, string scopes, string entries, Func<IEnumerable<T>, object> write) where T : StoredItem => new()
    {
        [resources] = items.GroupBy(i => i.Source).Select(byResource => new Dictionary<string, object>
        {
            ["resource"] = Resource(byResource.Key),
            [scopes] = byResource.GroupBy(i => i.Scope).Select(byScope => new Dictionary<string, object>
            {
                ["scope"] = new { name = byScope.Key.Name, version = byScope.Key.Version },
                [entries] = write(byScope),
            }),
        }),
    };

    /// <summary>A resource as the telemetry API lists it: its name, its replica's id and every attribute.</summary>
    public static object Resource(TelemetryResource resource) => new
    {
        name = resource.Name,
        instanceId = resource.InstanceId,
        attributes = Attributes(resource.Resource.Attributes),
    };

    private static Dictionary<string, object?> Instrument(Metric metric, IEnumerable<Google.Protobuf.IMessage> points)
    {
        var json = new Dictionary<string, object?> { ["name"] = metric.Name, ["description"] = metric.Description, ["unit"] = metric.Unit };
        var dataPoints = points.Select(Point).ToList();
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                json["gauge"] = new { dataPoints };
                break;
            case Metric.DataOneofCase.Sum:
                json["sum"] = new { dataPoints, aggregationTemporality = (int)metric.Sum.AggregationTemporality, isMonotonic = metric.Sum.IsMonotonic };
                break;
            case Metric.DataOneofCase.Histogram:
                json["histogram"] = new { dataPoints, aggregationTemporality = (int)metric.Histogram.AggregationTemporality };
                break;
            case Metric.DataOneofCase.ExponentialHistogram:
                json["exponentialHistogram"] = new { dataPoints, aggregationTemporality = (int)metric.ExponentialHistogram.AggregationTemporality };
                break;
            default:
                json["summary"] = new { dataPoints };
                break;
        }
        return json;
    }

    private static object Point(Google.Protobuf.IMessage point) => point switch
    {
        NumberDataPoint number => new
        {
            attributes = Attributes(number.Attributes),
            startTimeUnixNano = number.StartTimeUnixNano.ToString(),
            timeUnixNano = number.TimeUnixNano.ToString(),
            asInt = number.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? number.AsInt.ToString() : null,
            asDouble = number.ValueCase == NumberDataPoint.ValueOneofCase.AsDouble ? Number(number.AsDouble) : null,
        },
        HistogramDataPoint histogram => new
        {
            attributes = Attributes(histogram.Attributes),
            startTimeUnixNano = histogram.StartTimeUnixNano.ToString(),
            timeUnixNano = histogram.TimeUnixNano.ToString(),
            count = histogram.Count.ToString(),
            sum = histogram.HasSum ? Number(histogram.Sum) : null,
            bucketCounts = histogram.BucketCounts.Select(c => c.ToString()),
            explicitBounds = histogram.ExplicitBounds.Select(Number),
            min = histogram.HasMin ? Number(histogram.Min) : null,
            max = histogram.HasMax ? Number(histogram.Max) : null,
        },
        ExponentialHistogramDataPoint exponential => new
        {
            attributes = Attributes(exponential.Attributes),
            startTimeUnixNano = exponential.StartTimeUnixNano.ToString(),
            timeUnixNano = exponential.TimeUnixNano.ToString(),
            count = exponential.Count.ToString(),
            sum = exponential.HasSum ? Number(exponential.Sum) : null,
            scale = exponential.Scale,
            zeroCount = exponential.ZeroCount.ToString(),
            positive = Buckets(exponential.Positive),
            negative = Buckets(exponential.Negative),
            min = exponential.HasMin ? Number(exponential.Min) : null,
            max = exponential.HasMax ? Number(exponential.Max) : null,
        },
        SummaryDataPoint summary => (object)new
        {
            attributes = Attributes(summary.Attributes),
            startTimeUnixNano = summary.StartTimeUnixNano.ToString(),
            timeUnixNano = summary.TimeUnixNano.ToString(),
            count = summary.Count.ToString(),
            sum = Number(summary.Sum),
            quantileValues = summary.QuantileValues.Select(q => new { quantile = Number(q.Quantile), value = Number(q.Value) }),
        },
        _ => new { },
    };

    private static object? Buckets(ExponentialHistogramDataPoint.Types.Buckets? buckets) =>
        buckets is null ? null : new { offset = buckets.Offset, bucketCounts = buckets.BucketCounts.Select(c => c.ToString()) };

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
        AnyValue.ValueOneofCase.DoubleValue => new { doubleValue = Number(value.DoubleValue) },
        AnyValue.ValueOneofCase.ArrayValue => new { arrayValue = new { values = value.ArrayValue.Values.Select(Value) } },
        AnyValue.ValueOneofCase.KvlistValue => new { kvlistValue = new { values = Attributes(value.KvlistValue.Values) } },
        AnyValue.ValueOneofCase.BytesValue => new { bytesValue = value.BytesValue.ToBase64() },
        _ => null,
    };

    /// <summary>A double as OTLP JSON holds it: a number, or <c>"NaN"</c>, <c>"Infinity"</c> or <c>"-Infinity"</c> as a string.</summary>
    private static object Number(double value) => double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
