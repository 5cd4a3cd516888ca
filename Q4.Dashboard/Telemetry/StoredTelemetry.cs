using Google.Protobuf;
using Q4.Dashboard.Otlp.Proto;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// Who sent telemetry: a resource's <c>service.name</c> (the AppHost sets it to the resource's name) and
/// <c>service.instance.id</c> (one per replica), with every attribute it sent.
/// </summary>
public sealed record TelemetryResource(string Name, string InstanceId, Resource Resource)
{
    public static TelemetryResource Of(Resource resource) =>
        new(Attribute(resource, "service.name") ?? "unknown", Attribute(resource, "service.instance.id") ?? "", resource);

    private static string? Attribute(Resource resource, string key) =>
        resource.Attributes.FirstOrDefault(a => a.Key == key)?.Value?.StringValue;
}

/// <summary>Something the store keeps: who sent it, and its place in the order everything arrived in (1, 2, …).</summary>
public abstract record StoredItem(TelemetryResource Source, InstrumentationScope Scope)
{
    /// <summary>Set once, when the store takes the item; <c>follow</c> readers ask for what is newer than they saw.</summary>
    public long Sequence { get; internal set; }

    public string ServiceName => Source.Name;
}

/// <summary>A span as the dashboard keeps it.</summary>
public sealed record StoredSpan(TelemetryResource Source, InstrumentationScope Scope, Span Span) : StoredItem(Source, Scope)
{
    public string TraceId { get; } = Convert.ToHexStringLower(Span.TraceId.Span);

    public bool HasError => Span.Status?.Code == Status.Types.StatusCode.Error;
}

/// <summary>A log record as the dashboard keeps it.</summary>
public sealed record StoredLog(TelemetryResource Source, InstrumentationScope Scope, LogRecord Record) : StoredItem(Source, Scope)
{
    /// <summary>The trace the record was written in, in hex; null outside any.</summary>
    public string? TraceId { get; } = Record.TraceId.IsEmpty ? null : Convert.ToHexStringLower(Record.TraceId.Span);
}

/// <summary>
/// One point of one metric as the dashboard keeps it: the instrument (<see cref="Metric"/>, its points left out) and
/// one point, whichever kind (<see cref="NumberDataPoint"/>, <see cref="HistogramDataPoint"/>, …).
/// </summary>
public sealed record StoredMetricPoint(TelemetryResource Source, InstrumentationScope Scope, Metric Metric, IMessage Point)
    : StoredItem(Source, Scope)
{
    /// <summary>
    /// Which series the point belongs to: the same replica, instrument and attributes. Counters arrive cumulative, so
    /// the newest point of each series is the instrument's value now.
    /// </summary>
    public string SeriesKey { get; } = string.Join('|',
        [Source.Name, Source.InstanceId, Scope.Name, Metric.Name, .. AttributesOf(Point).Select(a => $"{a.Key}={a.Value}").Order()]);

    public static IEnumerable<KeyValue> AttributesOf(IMessage point) => point switch
    {
        NumberDataPoint number => number.Attributes,
        HistogramDataPoint histogram => histogram.Attributes,
        ExponentialHistogramDataPoint exponential => exponential.Attributes,
        SummaryDataPoint summary => summary.Attributes,
        _ => [],
    };
}
