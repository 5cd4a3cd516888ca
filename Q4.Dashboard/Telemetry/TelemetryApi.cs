using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Q4.Dashboard.Telemetry;

/// <summary>
/// The telemetry the dashboard received, over HTTP in OTLP JSON (<c>{data, totalCount, returnedCount}</c>, the shape of
/// Aspire's dashboard API): for tests, scripts and the dashboard's own pages.
/// </summary>
public static class TelemetryApi
{
    public const int DefaultLimit = 200;
    public const int MaxLimit = 10_000;

    public static IServiceCollection AddTelemetry(this IServiceCollection services, TelemetryLimits limits)
    {
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(limits));
        services.AddSingleton<TelemetryStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        var telemetry = app.MapGroup("/api/telemetry");
        telemetry.MapGet("/traces/{traceId}", GetTrace);
        telemetry.MapGet("/spans", GetSpans);
        telemetry.MapGet("/logs", GetLogs);
        return app;
    }

    /// <summary>Every span of a trace, from whichever resources sent them.</summary>
    private static Results<Ok<TelemetryPage>, ProblemHttpResult> GetTrace(string traceId, TelemetryStore store)
    {
        if (!IsTraceId(traceId))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_trace_id", "A trace id is 32 hexadecimal digits.");
        }
        var spans = store.GetTrace(traceId);
        return spans.Count == 0
            ? Problem(StatusCodes.Status404NotFound, "not_found", $"No trace {traceId} is kept (never received, or evicted).")
            : TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceSpans(spans), spans.Count, spans.Count));
    }

    /// <summary>
    /// The newest spans, of one resource (<c>?resource=apiservice</c>) or all, with or without errors, or only those
    /// linked to a trace (<c>?linkedTo=</c>: the sync service's batch that persisted a bid links to the bid's trace).
    /// </summary>
    private static Results<Ok<TelemetryPage>, ProblemHttpResult> GetSpans(string? resource, bool? hasError, string? linkedTo, int? limit,
        TelemetryStore store)
    {
        if (InvalidLimit(limit) is { } refusal)
        {
            return refusal;
        }
        if (linkedTo is not null && !IsTraceId(linkedTo))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_trace_id", "A trace id is 32 hexadecimal digits.");
        }
        var (spans, total) = store.GetSpans(resource, hasError, linkedTo, limit ?? DefaultLimit);
        return TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceSpans(spans), total, spans.Count));
    }

    /// <summary>Severity names a query may ask for, and the lowest OTLP severity number of each.</summary>
    private static readonly Dictionary<string, int> Severities = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = 1, ["debug"] = 5, ["information"] = 9, ["warning"] = 13, ["error"] = 17, ["critical"] = 21,
    };

    /// <summary>
    /// The newest log records, filtered by resource, trace (<c>traceId</c>), lowest severity (<c>severity=warning</c>)
    /// and text in the message (<c>search</c>).
    /// </summary>
    private static Results<Ok<TelemetryPage>, ProblemHttpResult> GetLogs(string? resource, string? traceId, string? severity, string? search,
        int? limit, TelemetryStore store)
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
        var (logs, total) = store.GetLogs(resource, traceId, minimum, search, limit ?? DefaultLimit);
        return TypedResults.Ok(new TelemetryPage(OtlpJson.ResourceLogs(logs), total, logs.Count));
    }

    private static ProblemHttpResult? InvalidLimit(int? limit) =>
        limit is < 1 or > MaxLimit ? Problem(StatusCodes.Status400BadRequest, "invalid_query", $"limit is from 1 to {MaxLimit}.") : null;

    private static bool IsTraceId(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigit);

    internal static ProblemHttpResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>One answer of the telemetry API: the items in OTLP JSON, how many matched, and how many are here.</summary>
public sealed record TelemetryPage(object Data, int TotalCount, int ReturnedCount);
