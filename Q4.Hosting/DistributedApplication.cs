using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Q4.Dashboard;
using Q4.Dashboard.Resources;
using Q4.Dashboard.Telemetry;

namespace Q4.Hosting;

/// <summary>The declared graph, ready to run: <c>DistributedApplication.CreateBuilder(args)</c> ... <c>Build().Run()</c>.</summary>
public sealed class DistributedApplication
{
    private readonly WebApplicationBuilder _host;
    private readonly IReadOnlyList<Resource> _resources;

    internal DistributedApplication(WebApplicationBuilder host, IReadOnlyList<Resource> resources)
    {
        _host = host;
        _resources = resources;
    }

    private void Publish(AppHostOptions options)
    {
        var log = new ConsoleLog(echoResources: false);
        try
        {
            Publishing.Publisher.Run(options, _resources, log);
        }
        catch (AppHostException e)
        {
            log.Error(e.Message);
            Environment.ExitCode = 1;
        }
    }

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(args);

    public void Run() => RunAsync().GetAwaiter().GetResult();

    /// <summary>Starts every resource in dependency order and runs until Ctrl+C, SIGTERM or a failed start.</summary>
    public async Task RunAsync()
    {
        var options = _host.Configuration.GetSection(AppHostOptions.Section).Get<AppHostOptions>() ?? new();
        if (options.Publisher is not null)
        {
            // A description for a deployment tool: nothing starts, and nothing of this machine's state is touched.
            Publish(options);
            return;
        }
        OwnerOnly.ApplyToProcess();
        var root = DistributedApplicationBuilder.RepositoryRoot;
        var state = new StateDirectory(
            options.StateDirectory ?? Path.Combine(root, ".q4"),
            options.ToolsDirectory ?? Path.Combine(root, ".q4", "tools"));
        var log = new ConsoleLog(echoResources: !options.Quiet);
        var context = new RunContext(options, state, log, new Tools(state.ToolsDirectory, log));

        try
        {
            if (options.Problem() is { } problem)
            {
                throw new AppHostException(problem);
            }
            state.Lock();
            state.DeleteEndpoints();
            foreach (var leftover in await state.Pids.StopLeftoversAsync())
            {
                log.Info($"Stopped {leftover}, left running by an earlier AppHost that did not shut down.");
            }
            await context.Tools.EnsureAsync(_resources.SelectMany(r => r.RequiredTools), CancellationToken.None);
            var dashboardPort = context.Ports.Allocate("dashboard", options.DashboardPort);
            var otlpHttpPort = context.Ports.Allocate("otlp-http", options.OtlpHttpPort);
            var otlpGrpcPort = context.Ports.Allocate("otlp-grpc", options.OtlpGrpcPort);
            context.DashboardUrl = $"http://localhost:{dashboardPort}";
            context.OtlpHttpUrl = $"http://localhost:{otlpHttpPort}";
            context.OtlpGrpcUrl = $"http://localhost:{otlpGrpcPort}";
            var dashboard = new DashboardSettings(otlpHttpPort, otlpGrpcPort, context.OtlpApiKey, new TelemetryLimits(),
                options.KeepTelemetry ? new ArchiveSettings(state.TelemetryDirectory, options.KeptTelemetryRuns) : null,
                context.BrowserToken, options.DashboardUnsecured);
            if (options.DashboardUnsecured)
            {
                log.Warn("The dashboard is unsecured (--AppHost:DashboardUnsecured true): whoever reaches its port can read every secret of the graph and stop its processes.");
            }
            foreach (var resource in _resources)
            {
                resource.Allocate(context);
            }

            _host.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.ListenLocalhost(dashboardPort);
                kestrel.ListenLocalhost(otlpHttpPort);
                // gRPC without TLS: HTTP/2 from the first byte, so this port speaks nothing else.
                kestrel.ListenLocalhost(otlpGrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            });
            _host.Logging.SetMinimumLevel(LogLevel.Warning);
            _host.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.StopTimeout * 3);
            _host.Services.AddSingleton(context);
            _host.Services.AddSingleton(_resources);
            _host.Services.AddSingleton<IResourceService, ResourceService>();
            _host.Services.AddDashboard(dashboard);
            _host.Services.AddHostedService<Orchestrator>();
            _host.Services.AddHostedService<HealthMonitor>();
            if (options.ParentProcessId is { } parent)
            {
                _host.Services.AddHostedService(sp => new ParentProcessWatcher(parent, sp.GetRequiredService<IHostApplicationLifetime>(), log));
            }

            await using var app = _host.Build();
            app.MapDashboard(dashboard);
            try
            {
                await app.StartAsync();
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Told to stop while starting (a resource failed, or Ctrl+C) before the web server had bound its ports:
                // the host gives up its start, and what had started is stopped below, as on any stop.
            }
            await app.WaitForShutdownAsync();
        }
        catch (AppHostException e)
        {
            log.Error(e.Message);
            Environment.ExitCode = 1;
        }
        finally
        {
            state.Unlock();
        }
    }
}
