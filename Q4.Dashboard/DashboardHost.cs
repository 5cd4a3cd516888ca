using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Resources;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard;

/// <summary>
/// The dashboard, hosted by the AppHost in its own process: the resources' pages and API on the dashboard port, the
/// telemetry API beside them, and the OTLP receivers (HTTP and gRPC) on ports of their own. The AppHost provides
/// <see cref="IResourceService"/>.
/// </summary>
public static class DashboardHost
{
    public static IServiceCollection AddDashboard(this IServiceCollection services, DashboardSettings settings)
    {
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new OtlpOptions { ApiKey = settings.OtlpApiKey }));
        services.AddTelemetry(settings.Limits);
        if (settings.Archive is { } archive)
        {
            services.AddSingleton(archive);
            services.AddSingleton<TelemetryArchive>();
            services.AddHostedService(sp => sp.GetRequiredService<TelemetryArchive>());
            services.AddSingleton(sp => new OtlpIntake(sp.GetRequiredService<TelemetryStore>(), sp.GetRequiredService<TelemetryArchive>()));
        }
        else
        {
            services.AddSingleton(sp => new OtlpIntake(sp.GetRequiredService<TelemetryStore>()));
        }
        services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = (int)settings.Limits.MaxExportBytes);
        return services;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app, DashboardSettings settings)
    {
        app.MapResourcesApi();
        app.MapTelemetryApi();
        app.MapOtlpApi(settings.OtlpHttpPort);
        app.MapGrpcService<OtlpTraceService>().RequireHost($"*:{settings.OtlpGrpcPort}");
        app.MapGrpcService<OtlpLogsService>().RequireHost($"*:{settings.OtlpGrpcPort}");
        app.MapGrpcService<OtlpMetricsService>().RequireHost($"*:{settings.OtlpGrpcPort}");
        return app;
    }
}

/// <summary>
/// What the AppHost tells its dashboard: where OTLP arrives (over HTTP, and over gRPC on a port that speaks HTTP/2
/// only), the key it must carry, how much to keep, and where to keep it across runs (null: in memory only).
/// </summary>
public sealed record DashboardSettings(int OtlpHttpPort, int OtlpGrpcPort, string OtlpApiKey, TelemetryLimits Limits,
    ArchiveSettings? Archive = null);
