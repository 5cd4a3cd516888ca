using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Q4.Dashboard.Resources;

/// <summary>The resources the AppHost runs: each one's state, URLs and pids, and its console log.</summary>
public static class ResourcesApi
{
    public static IEndpointRouteBuilder MapResourcesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/resources", (IResourceService resources) => TypedResults.Ok(resources.GetResources()));

        app.MapGet("/logs/{process}", Results<ContentHttpResult, NotFound> (string process, IResourceService resources) =>
            resources.ConsoleLogPath(process) is { } path
                ? TypedResults.Text(Tail(path, 256 * 1024), "text/plain; charset=utf-8")
                : TypedResults.NotFound());

        app.MapGet("/", (IResourceService resources) => TypedResults.Content(Page(resources.GetResources()), "text/html; charset=utf-8"));
        return app;
    }

    private static string Tail(string path, int bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Max(0, stream.Length - bytes), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Page(IReadOnlyList<ResourceSnapshot> resources)
    {
        var html = new StringBuilder("""
            <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>Q4 AppHost</title><style>body{font-family:system-ui,sans-serif;margin:2rem}
            table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}
            .Healthy,.Finished{color:#080}.Failed,.Exited{color:#c00}</style></head><body><h1>Q4 resources</h1>
            <table><tr><th>Resource</th><th>State</th><th>URLs</th><th>Processes (log)</th></tr>
            """);
        foreach (var resource in resources)
        {
            var state = resource.State;
            html.Append($"<tr><td>{E(resource.Name)}</td><td class=\"{E(state)}\">{E(state)}</td><td>");
            html.AppendJoin("<br>", resource.Urls.Select(u => u.StartsWith("http") ? $"<a href=\"{E(u)}\">{E(u)}</a>" : E(u)));
            html.Append("</td><td>");
            html.AppendJoin("<br>", resource.Processes.Select(p =>
                $"<a href=\"/logs/{E(p.Name)}\">{E(p.Name)}</a> pid {p.Pid}" +
                (p.ExitCode is { } code ? $" exited ({code})" : "")));
            html.Append("</td></tr>");
        }
        return html.Append("</table></body></html>").ToString();

        static string E(string text) => WebUtility.HtmlEncode(text);
    }
}
