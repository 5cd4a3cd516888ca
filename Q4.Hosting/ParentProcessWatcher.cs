using Microsoft.Extensions.Hosting;

namespace Q4.Hosting;

/// <summary>Stops the graph when the process that started the AppHost (a test run) is gone.</summary>
internal sealed class ParentProcessWatcher(int parentPid, IHostApplicationLifetime lifetime, ConsoleLog log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!Signals.IsAlive(parentPid))
            {
                log.Error($"The parent process {parentPid} is gone; stopping.");
                lifetime.StopApplication();
                return;
            }
        }
    }
}
