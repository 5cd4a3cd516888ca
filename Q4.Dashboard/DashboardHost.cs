using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Resources;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard;

/// <summary>
/// The dashboard, hosted by the AppHost in its own process: the resources' pages and API on the dashboard port, the
/// telemetry API beside them, and the OTLP receiver on a port of its own. The AppHost provides
/// <see cref="IResourceService"/>.
/// </summary>
public static class DashboardHost
{
    public static IServiceCollection AddDashboard(this IServiceCollection services, DashboardSettings settings)
    {
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new OtlpOptions { ApiKey = settings.OtlpApiKey }));
        services.AddTelemetry(settings.Limits);
        return services;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app, DashboardSettings settings)
    {
        app.MapResourcesApi();
        app.MapTelemetryApi();
        app.MapOtlpApi(settings.OtlpHttpPort);
        return app;
    }
}

/// <summary>What the AppHost tells its dashboard: where OTLP arrives, the key it must carry, and how much to keep.</summary>
public sealed record DashboardSettings(int OtlpHttpPort, string OtlpApiKey, TelemetryLimits Limits);
