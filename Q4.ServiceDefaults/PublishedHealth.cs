using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>Section <c>Health</c>: how <c>/health</c> learns and tells how the service's dependencies are.</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>How often every check runs; <c>/health</c> answers from the latest run (the first one at start).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A check that has not answered by then counts as failed, so a hanging dependency shows too.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whoever sends this in the <see cref="PublishedHealth.KeyHeader"/> header sees why a check failed, as everyone does
    /// in Development; others see only each check's status. The AppHost sets a fresh one for every run. Unset: nobody.
    /// </summary>
    public string? DetailsKey { get; set; }
}

/// <summary>
/// <c>/health</c> from a report that the checks publish every <see cref="HealthOptions.Period"/>, not from a run of
/// every check per request: any number of probes cost the dependencies one run per period, and a dependency that
/// hangs holds up no probe. The reasons for a failure (exception messages naming hosts and ports) are details.
/// </summary>
public static class PublishedHealth
{
    public const string KeyHeader = "Q4-Health-Key";

    internal static void AddPublishedHealth(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<HealthOptions>(HealthOptions.Section);
        builder.Services.AddSingleton<LatestHealthReport>();
        builder.Services.AddSingleton<IHealthCheckPublisher>(sp => sp.GetRequiredService<LatestHealthReport>());
        builder.Services.AddOptions<HealthCheckPublisherOptions>().Configure<IOptions<HealthOptions>>((publisher, health) =>
        {
            publisher.Delay = TimeSpan.Zero;
            publisher.Period = health.Value.Period;
        });
        builder.Services.AddOptions<HealthCheckServiceOptions>().PostConfigure<IOptions<HealthOptions>>((checks, health) =>
        {
            foreach (var registration in checks.Registrations)
            {
                // Without a timeout of its own, a check that hangs would hold its run, and that run's report, for good.
                if (registration.Timeout <= TimeSpan.Zero)
                {
                    registration.Timeout = health.Value.CheckTimeout;
                }
                var create = registration.Factory;
                registration.Factory = services => new UntracedCheck(create(services));
            }
        });
    }

    /// <summary>The latest report: 200 unless a check failed (503); 503 "Starting" until the first run is over.</summary>
    internal static JsonHttpResult<HealthJson> Answer(
        HttpContext context, LatestHealthReport latest, IOptions<HealthOptions> options, IHostEnvironment environment)
    {
        context.Response.Headers.CacheControl = "no-store, no-cache";
        if (latest.Report is not { } report)
        {
            return TypedResults.Json(new HealthJson("Starting", []), JsonSerializerOptions.Web, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var details = environment.IsDevelopment() || HoldsKey(context.Request, options.Value.DetailsKey);
        return TypedResults.Json(HealthJson.From(report, details), JsonSerializerOptions.Web,
            statusCode: report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    private static bool HoldsKey(HttpRequest request, string? key) =>
        !string.IsNullOrEmpty(key)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Headers[KeyHeader].ToString()), Encoding.UTF8.GetBytes(key));
}

/// <summary>What <c>/health</c> and <c>/alive</c> answer: the overall status and each check's, with its reason if shown.</summary>
public sealed record HealthJson(string Status, Dictionary<string, HealthJson.Check> Checks)
{
    public sealed record Check(string Status, string? Description);

    public static HealthJson From(HealthReport report, bool details) => new(
        report.Status.ToString(),
        report.Entries.ToDictionary(
            entry => entry.Key,
            entry => new Check(entry.Value.Status.ToString(), details ? entry.Value.Description ?? entry.Value.Exception?.Message : null)));
}

/// <summary>
/// A check whose database queries and HTTP calls are not traced: run every couple of seconds, they would fill the trace
/// view, as the health probes would have if their requests were traced.
/// </summary>
internal sealed class UntracedCheck(IHealthCheck check) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        using var untraced = SuppressInstrumentationScope.Begin();
        return await check.CheckHealthAsync(context, cancellationToken);
    }
}

/// <summary>Keeps the report of the latest run of the checks.</summary>
internal sealed class LatestHealthReport : IHealthCheckPublisher
{
    private readonly Lock _gate = new();
    private HealthReport? _report;
    private long _startedAt;

    public HealthReport? Report
    {
        get
        {
            lock (_gate)
            {
                return _report;
            }
        }
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        // Runs start every period whether or not the previous one is over, so a slow run may end after a later one:
        // the report of the run that started last wins.
        var startedAt = Stopwatch.GetTimestamp() - (long)(report.TotalDuration.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            if (_report is null || startedAt > _startedAt)
            {
                _report = report;
                _startedAt = startedAt;
            }
        }
        return Task.CompletedTask;
    }
}
