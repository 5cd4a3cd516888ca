using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Resources;

/// <summary>
/// The console lines the console page shows, as a text file to download: <c>/api/console?resource=apiservice-1&amp;filter=refused</c>
/// (no resource: every process). Lines come in the order the dashboard read them; with more than one process each
/// starts with its process's name.
/// </summary>
public static class ConsoleApi
{
    /// <summary>As many lines as the page holds.</summary>
    public const int MaxLines = ConsoleLogs.MaxLinesPerProcess;

    public static RouteGroupBuilder MapConsoleApi(this IEndpointRouteBuilder endpoints)
    {
        var app = endpoints.MapGroup("/api/console");
        app.MapGet("", Download);
        return app;
    }

    private static Results<FileContentHttpResult, ProblemHttpResult> Download(string? resource, string? filter,
        IResourceService resources, ConsoleLogs logs)
    {
        if (ConsoleLogs.ProcessesOf(resources.GetResources(), resource) is not { } processes)
        {
            return TelemetryApi.Problem(StatusCodes.Status404NotFound, "not_found", $"No resource or process is named {resource}.");
        }
        var lines = logs.GetLines(processes, filter, 0, MaxLines).Items;
        var name = string.IsNullOrEmpty(resource) ? "all-resources" : resource;
        return TypedResults.File(Encoding.UTF8.GetBytes(AsText(lines, processes.Count > 1)), "text/plain; charset=utf-8", $"console-{name}.txt");
    }

    /// <summary>Lines as text, one a line; <paramref name="prefixed"/>: each after its process's name.</summary>
    public static string AsText(IEnumerable<ConsoleLine> lines, bool prefixed)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            if (prefixed)
            {
                text.Append(line.Process).Append(" | ");
            }
            text.Append(line.Text).Append('\n');
        }
        return text.ToString();
    }
}
