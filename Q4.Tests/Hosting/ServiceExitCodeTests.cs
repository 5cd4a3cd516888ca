using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Q4.Tests.Hosting;

/// <summary>
/// The exit code a service's process ends with, which is how the AppHost (or Kubernetes) tells a failure from a
/// clean stop. A real host with the services' defaults runs here, in the test process, with a background service
/// of the test's own; the code is what the process would end with (<see cref="Environment.ExitCode"/>, since a
/// service's Program.cs returns nothing).
/// </summary>
public sealed class ServiceExitCodeTests
{
    [Fact]
    public async Task A_service_whose_background_service_failed_exits_with_a_non_zero_code()
    {
        Assert.Equal(1, await ExitCodeOfHostWithAsync<FailingLoop>());
    }

    [Fact]
    public async Task A_service_stopped_cleanly_exits_with_code_0()
    {
        Assert.Equal(0, await ExitCodeOfHostWithAsync<LoopThatStopsTheService>());
    }

    /// <summary>Runs the host until it stops by itself; the exit code it left. The test process's own is restored.</summary>
    private static async Task<int> ExitCodeOfHostWithAsync<TService>() where TService : class, IHostedService
    {
        var ours = Environment.ExitCode;
        try
        {
            Environment.ExitCode = 0;
            var builder = Host.CreateApplicationBuilder();
            builder.AddServiceDefaults();
            builder.Services.AddHostedService<TService>();
            using var host = builder.Build();
            await host.RunAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            return Environment.ExitCode;
        }
        finally
        {
            Environment.ExitCode = ours;
        }
    }

    /// <summary>A loop that runs a little, then meets something it cannot handle.</summary>
    private sealed class FailingLoop : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(100, stoppingToken);
            throw new InvalidOperationException("The loop cannot go on.");
        }
    }

    /// <summary>A loop that asks the service to stop, as Ctrl+C would, and ends when told to.</summary>
    private sealed class LoopThatStopsTheService(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(100, stoppingToken);
            lifetime.StopApplication();
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }
}
