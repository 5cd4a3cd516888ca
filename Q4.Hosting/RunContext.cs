using System.Security.Cryptography;

namespace Q4.Hosting;

/// <summary>What every resource needs while the graph runs.</summary>
internal sealed class RunContext(AppHostOptions options, StateDirectory state, ConsoleLog log, Tools tools)
{
    public AppHostOptions Options { get; } = options;

    public StateDirectory State { get; } = state;

    public ConsoleLog Log { get; } = log;

    public Tools Tools { get; } = tools;

    public Ports Ports { get; } = new(options.RandomPorts);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Shows the AppHost, and only it, why a service's health check failed (a fresh one every run).</summary>
    public string HealthKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public string DashboardUrl { get; set; } = "";

    /// <summary>The dashboard's OTLP/HTTP endpoint (protobuf), for senders that do not speak gRPC.</summary>
    public string OtlpHttpUrl { get; set; } = "";

    /// <summary>The dashboard's OTLP/gRPC endpoint, where the services send traces and logs.</summary>
    public string OtlpGrpcUrl { get; set; } = "";

    /// <summary>The key every OTLP export must carry (<c>x-otlp-api-key</c>), a fresh one every run.</summary>
    public string OtlpApiKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Signs a browser in to the dashboard (<c>/login?t=…</c>, printed at start), a fresh one every run.</summary>
    public string BrowserToken { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    /// <summary>The address a developer opens: the dashboard's login with <see cref="BrowserToken"/>, or the dashboard when unsecured.</summary>
    public string DashboardLoginUrl => Options.DashboardUnsecured ? DashboardUrl : $"{DashboardUrl}/login?t={BrowserToken}";

    public bool IsStopping { get; set; }

    /// <summary>Every resource started and <c>endpoints.json</c> written: from now on the dashboard may stop and start processes.</summary>
    public bool IsUp { get; set; }

    public void OnUnexpectedExit(ChildProcess process, int exitCode)
    {
        if (!IsStopping)
        {
            Log.Error($"!!! {process.Name} (pid {process.Pid}) exited unexpectedly with code {exitCode}. " +
                      $"Its last output:{Environment.NewLine}{process.RecentOutput()}");
        }
    }

    /// <summary>
    /// Polls until <paramref name="probe"/> succeeds; fails at once, with the process's last words, when one of
    /// <paramref name="processes"/> exits, and after <see cref="AppHostOptions.StartupTimeout"/> at the latest.
    /// </summary>
    public async Task WaitUntilHealthyAsync(
        string resource, IReadOnlyList<ChildProcess> processes, Func<CancellationToken, Task<bool>> probe,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Options.StartupTimeout;
        string? lastProblem = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (processes.FirstOrDefault(p => p.Exited.IsCompleted) is { } dead)
            {
                throw new AppHostException(
                    $"{dead.Name} exited with code {dead.Exited.Result} while starting. " +
                    $"Its last output (all of it in {dead.LogPath}):{Environment.NewLine}{dead.RecentOutput()}");
            }
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(5));
                if (await probe(attempt.Token))
                {
                    return;
                }
                lastProblem = "not healthy yet";
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                lastProblem = e.Message;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new AppHostException(
                    $"{resource} did not become healthy within {Options.StartupTimeout.TotalSeconds:0} s " +
                    $"(last check: {lastProblem}). See {State.LogsDirectory}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
