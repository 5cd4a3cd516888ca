using Microsoft.Playwright;
using Q4.Hosting;
using Q4.Tests.Hosting;

namespace Q4.Tests.Browser;

/// <summary>
/// A graph of its own for the browser tests, with Debian's chromium driven by Playwright. Access tokens live
/// <see cref="AccessTokenLifetime"/> here, so a test sees one expire and be refreshed within a minute.
/// </summary>
public class BrowserGraph : IAsyncLifetime
{
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromSeconds(40);

    /// <summary>The front end refreshes a token this long before it expires.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromSeconds(10);

    /// <summary>A bid this close to the end moves it (the API's default is two minutes; tests wait less).</summary>
    public static readonly TimeSpan SoftCloseWindow = TimeSpan.FromSeconds(15);

    private readonly List<ServiceProcess> _replacements = [];
    private readonly Dictionary<int, int> _apiPids = [];
    private AppHostProcess? _app;
    private Chromium? _chromium;

    public AppHostProcess App => _app ?? throw new InvalidOperationException("The graph did not start.");

    private Chromium Chromium => _chromium ?? throw new InvalidOperationException("The browser did not start.");

    public string FrontendUrl => App.GetUrls("frontend")[0];

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(
        [
            $"--AppHost:Environment:identity:DevIdentity__AccessTokenLifetime={AccessTokenLifetime}",
            $"--AppHost:Environment:frontend:SignIn__RefreshBefore={RefreshBefore}",
            $"--AppHost:Environment:apiservice:Bidding__SoftCloseWindow={SoftCloseWindow}",
        ], TestContext.Current.CancellationToken);
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _chromium = await Chromium.LaunchAsync();
    }

    /// <summary>A fresh browser profile (cookies of its own) at desktop size, or phone size.</summary>
    public Task<IBrowserContext> NewContextAsync(bool javaScript = true, bool phone = false) =>
        Chromium.NewContextAsync(FrontendUrl,
            phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 }, javaScript, phone);

    /// <summary>The process of API replica <paramref name="replica"/> now (a restarted one's, after a kill).</summary>
    public int ApiPid(int replica) => _apiPids.GetValueOrDefault(replica, App.GetPids("apiservice")[replica]);

    /// <summary>
    /// Kills API replica <paramref name="replica"/> the way a crash does (SIGKILL) and returns once it is gone; the
    /// replica is down until <see cref="RestartApiReplicaAsync"/>.
    /// </summary>
    public async Task KillApiReplicaAsync(int replica)
    {
        var pid = ApiPid(replica);
        Assert.True(Signals.Send(pid, Signals.SIGKILL), $"API replica {replica} (pid {pid}) was already gone");
        for (var waited = 0; Signals.IsAlive(pid); waited++)
        {
            Assert.True(waited < 100, $"API replica {replica} (pid {pid}) outlived SIGKILL for 10 s");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Starts a new API replica at the killed one's address (where the front end and the tests look for it), with the
    /// graph's settings; it lives as long as the graph, so later tests find two replicas again.
    /// </summary>
    public async Task RestartApiReplicaAsync(int replica)
    {
        var environment = ServiceProcess.ApiEnvironment(App);
        environment["Bidding__SoftCloseWindow"] = SoftCloseWindow.ToString();
        var process = await ServiceProcess.StartAsync(new Projects.Q4_ApiService(), environment, TestContext.Current.CancellationToken,
            url: App.GetUrls("apiservice")[replica].TrimEnd('/'));
        _replacements.Add(process);
        _apiPids[replica] = process.Pid;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replacement in _replacements)
        {
            await replacement.DisposeAsync();
        }
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserGraph>
{
    public const string Name = "browser";
}
