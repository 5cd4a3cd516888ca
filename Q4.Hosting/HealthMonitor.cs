using Microsoft.Extensions.Hosting;
using Q4.Dashboard.Resources;

namespace Q4.Hosting;

/// <summary>
/// Once the graph is up, asks every running replica of a project with a health endpoint how it is, every two seconds
/// (the services publish a new report as often), with the health key so the answer says why a check failed. The
/// dashboard shows the latest answer; a replica that does not answer is Unreachable.
/// </summary>
internal sealed class HealthMonitor(IReadOnlyList<Resource> resources, RunContext context) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!context.IsUp || context.IsStopping)
            {
                continue;
            }
            await Task.WhenAll(resources.OfType<ProjectResource>().SelectMany(project =>
                project.Processes.Select((process, replica) => CheckAsync(project, replica, process, stoppingToken))));
        }
    }

    private async Task CheckAsync(ProjectResource project, int replica, ChildProcess process, CancellationToken stoppingToken)
    {
        if (process.State != ProcessState.Running)
        {
            process.LastHealth = null;
            return;
        }
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        attempt.CancelAfter(Period);
        try
        {
            process.LastHealth = await project.CheckHealthAsync(context, replica, attempt.Token);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            process.LastHealth = new HealthReport("Unreachable", [new HealthCheckEntry("endpoint", "Unreachable", e.Message)], DateTimeOffset.Now);
        }
    }
}
