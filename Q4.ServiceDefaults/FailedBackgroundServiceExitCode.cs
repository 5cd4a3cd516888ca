using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Makes a service end with exit code 1 when one of its background services failed. The host stops when a
/// BackgroundService throws, but the process would then end with code 0, as after a clean stop, and whoever runs
/// it (the AppHost, Kubernetes) could not tell that it died for a reason. Checked once every hosted service has
/// stopped, so a failure during the stop counts too.
/// </summary>
internal sealed class FailedBackgroundServiceExitCode(IServiceProvider services, ILogger<FailedBackgroundServiceExitCode> logger)
    : IHostedLifecycleService
{
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        var failed = services.GetServices<IHostedService>().OfType<BackgroundService>()
            .Where(service => service.ExecuteTask is { IsFaulted: true })
            .Select(service => service.GetType().Name)
            .ToList();
        if (failed.Count > 0)
        {
            logger.LogCritical("Stopped because {Services} failed; exiting with code 1.", string.Join(", ", failed));
            Environment.ExitCode = 1;
        }
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
