using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Ends the service when the AppHost that started it is gone (<c>Hosting:ParentProcessId</c>), so a killed
/// AppHost leaves no service behind. Outside the AppHost the setting is absent and this does nothing.
/// </summary>
internal sealed class ParentProcessWatcher(
    IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration["Hosting:ParentProcessId"], out var parent))
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!Directory.Exists($"/proc/{parent}"))
            {
                logger.LogWarning("The AppHost (pid {Parent}) is gone; stopping.", parent);
                lifetime.StopApplication();
                return;
            }
        }
    }
}
