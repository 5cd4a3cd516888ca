using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.FluentUI.AspNetCore.Components;
using Q4.Dashboard.Access;
using Q4.Dashboard.Components;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Resources;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard;

/// <summary>
/// The dashboard, hosted by the AppHost in its own process: the pages (Blazor, interactive on the server) and the
/// resources' and telemetry's API on the dashboard port, behind the browser token or the OTLP key, and the OTLP
/// receivers (HTTP and gRPC) on ports of their own. The AppHost provides <see cref="IResourceService"/>.
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
        services.AddDashboardAccess(settings);
        services.AddConsoleLogs();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddFluentUIComponents();
        return services;
    }

    public static WebApplication MapDashboard(this WebApplication app, DashboardSettings settings)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapDashboardAccess(settings);
        app.MapResourcesApi().RequireAuthorization(DashboardAccess.Policy);
        app.MapTelemetryApi().RequireAuthorization(DashboardAccess.Policy);
        app.MapConsoleApi().RequireAuthorization(DashboardAccess.Policy);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization(DashboardAccess.Policy);
        app.MapOtlpApi(settings.OtlpHttpPort);
        app.MapGrpcService<OtlpTraceService>().RequireHost($"*:{settings.OtlpGrpcPort}");
        app.MapGrpcService<OtlpLogsService>().RequireHost($"*:{settings.OtlpGrpcPort}");
        app.MapGrpcService<OtlpMetricsService>().RequireHost($"*:{settings.OtlpGrpcPort}");
        return app;
    }
}

/// <summary>
/// What the AppHost tells its dashboard: where OTLP arrives (over HTTP, and over gRPC on a port that speaks HTTP/2
/// only), the key it must carry, how much to keep, where to keep it across runs (null: in memory only), the browser
/// token of this run, and whether the dashboard is open to anyone (<c>--AppHost:DashboardUnsecured</c>).
/// </summary>
public sealed record DashboardSettings(int OtlpHttpPort, int OtlpGrpcPort, string OtlpApiKey, TelemetryLimits Limits,
    ArchiveSettings? Archive = null, string BrowserToken = "", bool Unsecured = false);
