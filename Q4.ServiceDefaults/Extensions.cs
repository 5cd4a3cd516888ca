using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Q4 service shares, as in Aspire's ServiceDefaults project: OpenTelemetry, health checks,
/// service discovery and resilient HttpClients.
/// </summary>
public static class Extensions
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";

    /// <summary>Prometheus text of the service's metrics, when <see cref="PrometheusOptions.Enabled"/>.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Tracing and metrics of Q4's own code use sources and meters under this name.</summary>
    public const string TelemetryName = "Q4";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddHostedService<ParentProcessWatcher>();
        builder.Services.AddHostedService<FailedBackgroundServiceExitCode>();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to the configuration section <paramref name="section"/> and checks its
    /// data annotations when the service starts, so a bad setting stops the start with a message naming it.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IHostApplicationBuilder builder, string section)
        where TOptions : class =>
        builder.Services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // Read now, not when the service starts: it decides which exporters the metrics pipeline gets.
        builder.AddValidatedOptions<PrometheusOptions>(PrometheusOptions.Section);
        var prometheus = builder.Configuration.GetSection(PrometheusOptions.Section).Get<PrometheusOptions>() ?? new();

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter($"{TelemetryName}.*");
                if (prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter();
                }
            })
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName, $"{TelemetryName}.*")
                // Health probes arrive several times a second while the AppHost starts, and scrapers poll /metrics; they
                // are noise in a trace view.
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthPath) && !context.Request.Path.StartsWithSegments(AlivePath)
                    && !context.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
            // The exporter's own HttpClients go without the resilience handler every other client gets: retried for many
            // seconds, a collector that was gone kept a stopping service waiting (after the AppHost died). And their
            // calls are not logged one by one: those logs would be exported in turn.
            foreach (var exporter in (string[])["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"])
            {
#pragma warning disable EXTEXP0001 // Made for exactly this (a client that opts out of ConfigureHttpClientDefaults' handler); marked experimental.
                builder.Services.AddHttpClient(exporter).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
            }
            builder.Logging.AddFilter("System.Net.Http.HttpClient.Otlp*", LogLevel.Warning);
        }
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // "live": the process answers. Every other check (the stores a service uses) only counts for /health.
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        builder.AddPublishedHealth();
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: ready, every dependency reachable (the AppHost waits on it), as the latest published report says
    /// (see <see cref="PublishedHealth"/>). <c>/alive</c>: the process runs. Both answer JSON naming each check, so a
    /// person or a test sees which dependency failed. <c>/metrics</c>: Prometheus text, only when
    /// <see cref="PrometheusOptions.Enabled"/> (otherwise nothing is mapped there, so it is 404).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapGet(HealthPath, PublishedHealth.Answer).ExcludeFromDescription();
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = WriteHealthReport,
        });
        if (app.Services.GetRequiredService<IOptions<PrometheusOptions>>().Value.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).ExcludeFromDescription();
        }
        return app;
    }

    private static Task WriteHealthReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, HealthJson.From(report, details: false), JsonSerializerOptions.Web,
            context.RequestAborted);
    }
}
