using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Q4.Hosting;

/// <summary>
/// Starts each resource as soon as what it waits for is healthy (independent ones in parallel), publishes
/// <c>endpoints.json</c> once all are healthy, and on shutdown stops services before the stores they use.
/// </summary>
internal sealed class Orchestrator(
    IReadOnlyList<Resource> resources, RunContext context, IHostApplicationLifetime lifetime) : BackgroundService
{
    /// <summary>The last line the AppHost prints once the graph is up (tools reading its output wait for it).</summary>
    internal const string LastStartLine = "Ctrl+C stops everything.";

    private Exception? _firstFailure;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        try
        {
            await Task.WhenAll(resources.Select(r => StartAsync(r, failed)));
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception)
        {
            context.Log.Error(_firstFailure is AppHostException ? _firstFailure.Message : $"{_firstFailure}");
            context.Log.Error("Q4 did not start; stopping what did.");
            Environment.ExitCode = 1;
            // Once the host has started (at once if it has): a stop while its web server binds would fail the start itself.
            lifetime.ApplicationStarted.Register(lifetime.StopApplication);
            return;
        }

        context.State.WriteEndpoints(Describe(resources, context));
        context.IsUp = true;
        context.Log.Info($"Q4 is up in {clock.Elapsed.TotalSeconds:0.0} s. Dashboard: {context.DashboardLoginUrl}");
        var width = resources.Max(r => r.Name.Length) + 2;
        foreach (var resource in resources)
        {
            var where = resource switch
            {
                PostgresDatabaseResource database => $"database in {database.Server.Name}",
                _ => string.Join(", ", resource.Urls),
            };
            context.Log.Info($"  {resource.Name.PadRight(width)}{where}");
        }
        context.Log.Info($"Logs: {context.State.LogsDirectory}. Endpoints and connection strings: {context.State.EndpointsPath}. {LastStartLine}");
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        context.IsStopping = true;
        context.State.DeleteEndpoints();
        await base.StopAsync(cancellationToken);
        foreach (var group in resources.GroupBy(r => r.StopOrder).OrderBy(g => g.Key))
        {
            await Task.WhenAll(group.Select(async resource =>
            {
                if (resource.Processes.Any(p => !p.Exited.IsCompleted))
                {
                    resource.State = ResourceState.Stopping;
                    await resource.StopAsync(CancellationToken.None);
                    context.Log.Info($"{resource.Name} stopped.");
                }
                resource.State = ResourceState.Stopped;
            }));
        }
    }

    private async Task StartAsync(Resource resource, CancellationTokenSource failed)
    {
        try
        {
            await Task.WhenAll(resource.WaitsFor.Select(d => d.Healthy.Task)).WaitAsync(failed.Token);
            resource.State = ResourceState.Starting;
            var clock = Stopwatch.StartNew();
            await resource.StartAsync(context, failed.Token);
            foreach (var process in resource.Processes)
            {
                process.Ready = true;
            }
            resource.State = resource.RunsToCompletion ? ResourceState.Finished : ResourceState.Healthy;
            context.Log.Info($"{resource.Name} {(resource.RunsToCompletion ? "finished" : "is healthy")} ({clock.Elapsed.TotalSeconds:0.0} s).");
            resource.Healthy.TrySetResult();
        }
        catch (Exception e)
        {
            if (e is not OperationCanceledException)
            {
                Interlocked.CompareExchange(ref _firstFailure, e, null);
            }
            resource.State = ResourceState.Failed;
            resource.Healthy.TrySetException(e);
            await failed.CancelAsync();
            throw;
        }
    }

    /// <summary>What <c>endpoints.json</c> says: written once all are healthy, again when the dashboard restarted a process.</summary>
    internal static EndpointsFile Describe(IReadOnlyList<Resource> resources, RunContext context)
    {
        var entries = resources.ToDictionary(
            r => r.Name,
            r => new ResourceEndpoints(r.Urls, r.Processes.Select(p => p.Pid).ToList(),
                (r as IResourceWithConnectionString)?.ConnectionString));
        // The AppHost itself: its dashboard, and where services send telemetry with the key they must show.
        entries["apphost"] = new ResourceEndpoints([context.DashboardUrl, context.OtlpHttpUrl, context.OtlpGrpcUrl], [Environment.ProcessId],
            $"Endpoint={context.OtlpHttpUrl};GrpcEndpoint={context.OtlpGrpcUrl};ApiKey={context.OtlpApiKey}");
        return new EndpointsFile(entries);
    }
}
