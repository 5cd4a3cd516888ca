using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Q4.Dashboard.Telemetry;

namespace Q4.Dashboard.Resources;

/// <summary>
/// The resources the AppHost runs: each one's state, URLs and pids, and its console log; and, for programs, the
/// actions the page offers: <c>POST /api/resources/{name}/stop|start|restart</c>, where the name is a resource's (all
/// its processes) or one replica's. Each answers once the action is done, with the resource as it is then.
/// </summary>
public static class ResourcesApi
{
    public static RouteGroupBuilder MapResourcesApi(this IEndpointRouteBuilder endpoints)
    {
        var app = endpoints.MapGroup("");
        app.MapGet("/api/resources", (IResourceService resources) => TypedResults.Ok(resources.GetResources()));

        app.MapPost("/api/resources/{name}/{action}", ActAsync);

        app.MapGet("/logs/{process}", Results<ContentHttpResult, NotFound> (string process, IResourceService resources) =>
            resources.ConsoleLogPath(process) is { } path
                ? TypedResults.Text(Tail(path, 256 * 1024), "text/plain; charset=utf-8")
                : TypedResults.NotFound());
        return app;
    }

    private static async Task<Results<Ok<ResourceSnapshot>, ProblemHttpResult>> ActAsync(
        string name, string action, IResourceService resources, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await RunAsync(resources, action, name, cancellationToken));
        }
        catch (ResourceActionException e)
        {
            return TelemetryApi.Problem(e.Status, e.Code, e.Message);
        }
    }

    /// <summary>Runs one of <see cref="ResourceActions"/>; the page and the API share it.</summary>
    public static Task<ResourceSnapshot> RunAsync(IResourceService resources, string action, string name, CancellationToken cancellationToken) =>
        action switch
        {
            ResourceActions.Stop => resources.StopAsync(name, cancellationToken),
            ResourceActions.Start => resources.StartAsync(name, cancellationToken),
            ResourceActions.Restart => resources.RestartAsync(name, cancellationToken),
            _ => throw new ResourceActionException(StatusCodes.Status404NotFound, "unknown_action",
                $"There is no action '{action}'; the actions are {ResourceActions.Stop}, {ResourceActions.Start} and {ResourceActions.Restart}."),
        };

    private static string Tail(string path, int bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Max(0, stream.Length - bytes), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
