using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// The telemetry the dashboard received, over HTTP in OTLP JSON (<c>{data, totalCount, returnedCount}</c>, the shape of
/// Aspire's dashboard API): for tests, scripts and the dashboard's own pages. With <c>follow=true</c>, spans, logs and
/// metrics stream as NDJSON, one item a line, first the newest that match and then each as it arrives. Like every
/// page of the dashboard, it answers a signed-in browser or a program that sends the OTLP key (<c>x-otlp-api-key</c>).
/// </summary>
public static class TelemetryApi
{
    public const int DefaultLimit = 200;
    public const int MaxLimit = 10_000;

    public static IServiceCollection AddTelemetry(this IServiceCollection services, TelemetryLimits limits)
    {
        services.AddSingleton(Options.Create(limits));
        services.AddSingleton<TelemetryStore>();
        return services;
    }

    public static RouteGroupBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        var telemetry = app.MapGroup("/api/telemetry");
        telemetry.MapGet("/resources", GetResources);
        telemetry.MapGet("/traces", GetTraces);
        telemetry.MapGet("/traces/{traceId}", GetTrace);
        telemetry.MapGet("/spans", GetSpans);
        telemetry.MapGet("/logs", GetLogs);
        telemetry.MapGet("/metrics", GetMetrics);
        telemetry.MapTelemetryExport();
        return telemetry;
    }

    /// <summary>Every resource (each replica once) that sent telemetry.</summary>
    private static Ok<TelemetryPage> GetResources(TelemetryStore store)
    {
        var resources = store.GetResources();
        return TypedResults.Ok(new TelemetryPage(resources.Select(OtlpJson.Resource), resources.Count, resources.Count));
    }

    /// <summary>
    /// The newest traces with a span that matches (of the resource, with an error, whose name holds <c>search</c>), each
    /// with every span it has; the counts are of traces.
    /// </summary>
    private static Results<Ok<TelemetryPage>, ProblemHttpResult> GetTraces(string? resource, bool? hasError, string? search, int? limit,
        TelemetryStore store)
    {
        if (InvalidLimit(limit) is { } refusal)
        {
            return refusal;
        }
        var traces = store.GetTraces(new SpanQuery(resource, hasError, Search: search), limit ?? DefaultLimit);
        return TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceSpans(traces.Items.SelectMany(t => t)), traces.TotalCount, traces.Items.Count));
    }

    /// <summary>Every span of a trace, from whichever resources sent them.</summary>
    private static Results<Ok<TelemetryPage>, ProblemHttpResult> GetTrace(string traceId, TelemetryStore store)
    {
        if (!TelemetryText.IsTraceId(traceId))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_trace_id", "A trace id is 32 hexadecimal digits.");
        }
        var spans = store.GetTrace(traceId);
        return spans.Count == 0
            ? Problem(StatusCodes.Status404NotFound, "not_found", $"No trace {traceId} is kept (never received, or evicted).")
            : TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceSpans(spans), spans.Count, spans.Count));
    }

    /// <summary>
    /// The newest spans, of one resource (<c>?resource=apiservice</c>) or all, with or without errors, named with the
    /// search text, or only those linked to a trace (<c>?linkedTo=</c>: the sync service's batch that persisted a bid
    /// links to the bid's trace).
    /// </summary>
    private static Results<Ok<TelemetryPage>, Follow<StoredSpan>, ProblemHttpResult> GetSpans(string? resource, bool? hasError,
        string? linkedTo, string? search, int? limit, bool? follow, TelemetryStore store)
    {
        if (InvalidLimit(limit) is { } refusal)
        {
            return refusal;
        }
        if (linkedTo is not null && !TelemetryText.IsTraceId(linkedTo))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_trace_id", "A trace id is 32 hexadecimal digits.");
        }
        var query = new SpanQuery(resource, hasError, linkedTo, search);
        var spans = store.GetSpans(query, limit ?? DefaultLimit);
        return follow == true
            ? new Follow<StoredSpan>(spans, after => store.GetSpans(query with { After = after }, MaxLimit), OtlpJson.ResourceSpans)
            : TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceSpans(spans.Items), spans.TotalCount, spans.Items.Count));
    }

    /// <summary>Severity names a query may ask for, and the lowest OTLP severity number of each.</summary>
    internal static readonly Dictionary<string, int> Severities = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = 1, ["debug"] = 5, ["information"] = 9, ["warning"] = 13, ["error"] = 17, ["critical"] = 21,
    };

    /// <summary>
    /// The newest log records, filtered by resource, trace (<c>traceId</c>), lowest severity (<c>severity=warning</c>)
    /// and text in the message (<c>search</c>).
    /// </summary>
    private static Results<Ok<TelemetryPage>, Follow<StoredLog>, ProblemHttpResult> GetLogs(string? resource, string? traceId,
        string? severity, string? search, int? limit, bool? follow, TelemetryStore store)
    {
        if (InvalidLimit(limit) is { } refusal)
        {
            return refusal;
        }
        var minimum = 0;
        if (severity is not null && !Severities.TryGetValue(severity, out minimum))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_query", $"severity is one of {string.Join(", ", Severities.Keys)}.");
        }
        var query = new LogQuery(resource, traceId, minimum, search);
        var logs = store.GetLogs(query, limit ?? DefaultLimit);
        return follow == true
            ? new Follow<StoredLog>(logs, after => store.GetLogs(query with { After = after }, MaxLimit), OtlpJson.ResourceLogs)
            : TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceLogs(logs.Items), logs.TotalCount, logs.Items.Count));
    }

    /// <summary>
    /// The newest metric points, of one resource and one instrument (<c>name=q4.bids.accepted</c>) or all; with
    /// <c>latest=true</c> only the newest point of each series (for a counter, its total now). The counts are of points.
    /// </summary>
    private static Results<Ok<TelemetryPage>, Follow<StoredMetricPoint>, ProblemHttpResult> GetMetrics(string? resource, string? name,
        bool? latest, int? limit, bool? follow, TelemetryStore store)
    {
        if (InvalidLimit(limit) is { } refusal)
        {
            return refusal;
        }
        var query = new MetricQuery(resource, name, latest == true);
        var points = store.GetMetrics(query, limit ?? DefaultLimit);
        return follow == true
            ? new Follow<StoredMetricPoint>(points, after => store.GetMetrics(query with { After = after }, MaxLimit), OtlpJson.ResourceMetrics)
            : TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceMetrics(points.Items), points.TotalCount, points.Items.Count));
    }

    private static ProblemHttpResult? InvalidLimit(int? limit) =>
        limit is < 1 or > MaxLimit ? Problem(StatusCodes.Status400BadRequest, "invalid_query", $"limit is from 1 to {MaxLimit}.") : null;

    internal static ProblemHttpResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>One answer of the telemetry API: the items in OTLP JSON, how many matched, and how many are here.</summary>
public sealed record TelemetryPage(object Data, int TotalCount, int ReturnedCount);
