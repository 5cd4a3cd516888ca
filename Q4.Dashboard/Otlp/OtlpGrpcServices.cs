using Grpc.Core;
using Microsoft.Extensions.Options;
using Q4.Dashboard.Otlp.Proto;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Otlp;

/// <summary>
/// OTLP over gRPC (the protocol Aspire's AppHost gives its services): the same exports as over HTTP, the same key
/// (as call metadata) and the same checks. A wrong key is <c>Unauthenticated</c>, a bad export
/// <c>InvalidArgument</c>, one over the size limit <c>ResourceExhausted</c> (gRPC's own limit, set to ours); each
/// changes nothing.
/// </summary>
internal sealed class OtlpTraceService(OtlpIntake intake, IOptions<OtlpOptions> otlp) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        OtlpGrpc.Accept(context, otlp.Value, request, TelemetryStore.Check, intake.Keep);
        return Task.FromResult(new ExportTraceServiceResponse());
    }
}

internal sealed class OtlpLogsService(OtlpIntake intake, IOptions<OtlpOptions> otlp) : LogsService.LogsServiceBase
{
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        OtlpGrpc.Accept(context, otlp.Value, request, TelemetryStore.Check, intake.Keep);
        return Task.FromResult(new ExportLogsServiceResponse());
    }
}

internal sealed class OtlpMetricsService(OtlpIntake intake, IOptions<OtlpOptions> otlp) : MetricsService.MetricsServiceBase
{
    public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
    {
        OtlpGrpc.Accept(context, otlp.Value, request, TelemetryStore.Check, intake.Keep);
        return Task.FromResult(new ExportMetricsServiceResponse());
    }
}

internal static class OtlpGrpc
{
    public static void Accept<TExport>(ServerCallContext context, OtlpOptions otlp, TExport export, Func<TExport, string?> check, Action<TExport> keep)
    {
        if (!OtlpApi.KeyMatches(context.RequestHeaders.GetValue(OtlpApi.ApiKeyHeader) ?? "", otlp.ApiKey))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, $"The {OtlpApi.ApiKeyHeader} header is missing or wrong."));
        }
        if (check(export) is { } problem)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, problem));
        }
        keep(export);
    }
}
