using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Otlp;

/// <summary>
/// Receives OpenTelemetry data over OTLP/HTTP with protobuf bodies (<c>POST /v1/traces</c>, <c>/v1/logs</c>, <c>/v1/metrics</c>), on the
/// OTLP port only.
/// Every request carries the API key the AppHost gave the services (<c>x-otlp-api-key</c>, through
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c>): without it, 401. An export is read whole and checked before anything is kept:
/// one too large is 413, one that is not OTLP protobuf is 415 or 400, and each changes nothing.
/// </summary>
public static class OtlpApi
{
    public const string ApiKeyHeader = "x-otlp-api-key";
    private const string Protobuf = "application/x-protobuf";

    public static IEndpointRouteBuilder MapOtlpApi(this IEndpointRouteBuilder app, int port)
    {
        app.MapPost("/v1/traces", (HttpContext context, OtlpIntake intake, IOptions<TelemetryLimits> limits, IOptions<OtlpOptions> otlp) =>
            ReceiveAsync(context, limits.Value, otlp.Value, ExportTraceServiceRequest.Parser, TelemetryStore.Check, intake.Keep,
                new ExportTraceServiceResponse())).RequireHost($"*:{port}");
        app.MapPost("/v1/logs", (HttpContext context, OtlpIntake intake, IOptions<TelemetryLimits> limits, IOptions<OtlpOptions> otlp) =>
            ReceiveAsync(context, limits.Value, otlp.Value, ExportLogsServiceRequest.Parser, TelemetryStore.Check, intake.Keep,
                new ExportLogsServiceResponse())).RequireHost($"*:{port}");
        app.MapPost("/v1/metrics", (HttpContext context, OtlpIntake intake, IOptions<TelemetryLimits> limits, IOptions<OtlpOptions> otlp) =>
            ReceiveAsync(context, limits.Value, otlp.Value, ExportMetricsServiceRequest.Parser, TelemetryStore.Check, intake.Keep,
                new ExportMetricsServiceResponse())).RequireHost($"*:{port}");
        return app;
    }

    /// <summary>
    /// Reads one export whole (refusing it before anything is kept when it is unauthorised, too large, not protobuf
    /// or not well formed), keeps it with <paramref name="keep"/>, and answers with <paramref name="answer"/>.
    /// </summary>
    private static async Task<IResult> ReceiveAsync<TExport>(HttpContext context, TelemetryLimits limits, OtlpOptions otlp,
        MessageParser<TExport> parser, Func<TExport, string?> check, Action<TExport> keep, IMessage answer)
        where TExport : IMessage<TExport>
    {
        var request = context.Request;
        if (!KeyMatches(request.Headers[ApiKeyHeader].ToString(), otlp.ApiKey))
        {
            return TelemetryApi.Problem(StatusCodes.Status401Unauthorized, "invalid_api_key", $"The {ApiKeyHeader} header is missing or wrong.");
        }
        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), Protobuf, StringComparison.OrdinalIgnoreCase))
        {
            return TelemetryApi.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", $"Exports are {Protobuf}.");
        }
        var max = limits.MaxExportBytes;
        if (request.ContentLength > max)
        {
            return TooLarge(max);
        }
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > max)
            {
                return TooLarge(max);
            }
            body.Write(buffer, 0, read);
        }

        TExport export;
        try
        {
            export = parser.ParseFrom(body.GetBuffer(), 0, (int)body.Length);
        }
        catch (InvalidProtocolBufferException e)
        {
            return TelemetryApi.Problem(StatusCodes.Status400BadRequest, "malformed_export", $"The body is not an OTLP export: {e.Message}");
        }
        if (check(export) is { } problem)
        {
            return TelemetryApi.Problem(StatusCodes.Status400BadRequest, "malformed_export", problem);
        }
        keep(export);
        return Results.Bytes(answer.ToByteArray(), Protobuf);
    }

    private static IResult TooLarge(long max) =>
        TelemetryApi.Problem(StatusCodes.Status413PayloadTooLarge, "export_too_large", $"An export is at most {max} bytes.");

    internal static bool KeyMatches(string sent, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(expected));
}

/// <summary>The OTLP endpoint's settings: the API key every export must carry.</summary>
public sealed class OtlpOptions
{
    public string ApiKey { get; set; } = "";
}
