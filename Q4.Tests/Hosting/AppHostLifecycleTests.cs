using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Q4.Hosting;
using Q4.Tests.Sync;

namespace Q4.Tests.Hosting;

/// <summary>How the AppHost starts, fails, stops and recovers. The tests that kill things run graphs of their own.</summary>
public sealed class AppHostLifecycleTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_second_apphost_on_the_same_state_is_refused_with_the_pid_of_the_first()
    {
        // The shared graph's own state folder, which it keeps.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        builder.StateDirectory = graph.App.StateDirectory;
        builder.DeleteStateDirectory = false;
        await using var second = await builder.BuildAsync(Cancellation);
        second.Launch();

        Assert.Equal(1, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Another Q4 AppHost (pid {graph.App.Pid}) is already running", second.Output);
        // The running graph is untouched.
        using var client = graph.App.CreateHttpClient("apiservice");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Cancellation)).StatusCode);
    }

    [Fact]
    public async Task A_fixed_port_in_use_gives_one_clear_message_and_starts_nothing()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(
            ["--random-ports", "false", "--AppHost:DashboardPort", port.ToString()], Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        app.Launch();

        Assert.Equal(1, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Port {port} for 'dashboard' is already in use", app.Output);
        Assert.False(File.Exists(Path.Combine(app.StateDirectory, EndpointsFile.FileName)));
        Assert.Empty(Leftovers.Of(app));
    }

    [Fact]
    public async Task A_store_that_exits_while_starting_is_reported_and_everything_else_is_stopped()
    {
        var state = DistributedApplicationTestingBuilder.NewStateDirectory();
        // A cluster of a PostgreSQL version that does not exist: the server refuses it and exits at once.
        var cluster = Directory.CreateDirectory(Path.Combine(state, "data", "postgres")).FullName;
        await File.WriteAllTextAsync(Path.Combine(cluster, "PG_VERSION"), "99\n", Cancellation);

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        builder.StateDirectory = state;
        await using var app = await builder.BuildAsync(Cancellation);
        app.Launch();

        var exitCode = await app.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.True(exitCode == 1, $"the AppHost exited with code {exitCode}:\n{app.Output}");
        Assert.Contains("postgres exited with code", app.Output);
        Assert.Contains("while starting", app.Output);
        Assert.Contains("Q4 did not start", app.Output);
        Assert.DoesNotContain("Hosting failed to start", app.Output);
        Assert.Empty(await Leftovers.AfterSettlingAsync(app, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Ctrl_C_stops_services_before_stores_and_leaves_no_process()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);
        var children = app.ChildPids;
        Assert.NotEmpty(children);

        Assert.Equal(0, await app.StopAsync());

        Assert.Empty(Leftovers.Of(app));
        Assert.All(children, pid => Assert.False(Signals.IsAlive(pid), $"pid {pid} outlived the AppHost"));
        var output = app.Output;
        Assert.True(output.IndexOf("apiservice stopped", StringComparison.Ordinal) < output.IndexOf("redis stopped", StringComparison.Ordinal));
        Assert.True(output.IndexOf("syncservice stopped", StringComparison.Ordinal) < output.IndexOf("postgres stopped", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(app.StateDirectory, EndpointsFile.FileName)));
    }

    [Fact]
    public async Task A_child_that_dies_is_reported_loudly_and_the_rest_keeps_running()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);
        var (stopped, killed) = (app.GetPids("syncservice")[0], app.GetPids("syncservice")[1]);

        Signals.Send(killed, Signals.SIGKILL);
        // Asked by someone other than the AppHost, a service stops cleanly, with code 0: still nothing it expected.
        Signals.Send(stopped, Signals.SIGTERM);

        await WaitUntilAsync(() =>
            app.Output.Contains($"syncservice-1 (pid {killed}) exited unexpectedly with code 137") &&
            app.Output.Contains($"syncservice-0 (pid {stopped}) exited unexpectedly with code 0"), TimeSpan.FromSeconds(30));
        // The dashboard says so too, with both exit codes; the API is as healthy as it was.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var syncservice = await app.ResourceNotifications.WaitForResourceAsync("syncservice", "Exited", deadline.Token);
        Assert.Equal([0, 137], syncservice.Processes.Select(p => p.ExitCode ?? -1).Order());
        await app.ResourceNotifications.WaitForResourceHealthyAsync("apiservice", deadline.Token);
        using var client = app.CreateHttpClient("apiservice");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Cancellation)).StatusCode);
        Assert.Equal(0, await app.StopAsync());
        Assert.Empty(Leftovers.Of(app));
    }

    [Fact]
    public async Task After_the_apphost_is_killed_no_child_outlives_it_by_more_than_a_few_seconds()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        await using var first = await builder.BuildAsync(Cancellation);
        await first.StartAsync(Cancellation);
        var postmaster = first.GetPids("postgres").Single();
        // The services keep connections open, so PostgreSQL has backends as well as its own helper processes.
        var backends = ProcFs.ChildrenOf(postmaster);
        Assert.Contains(backends, pid => ProcFs.CommandLine(pid).Contains("q4db", StringComparison.Ordinal));
        var stores = Identify(new[] { "redis", "postgres", "storage" }.SelectMany(first.GetPids).Concat(backends));
        var services = Identify(new[] { "identity", "apiservice", "syncservice", "frontend" }.SelectMany(first.GetPids));

        await first.KillAsync();
        var killed = Stopwatch.GetTimestamp();

        // Stores stop at once. Services stop cleanly, and may first wait for a store that went with them until their
        // client gives up (Redis's 5 s timeout), so they get longer.
        var storesLeft = await SurvivorsAsync(stores, killed, TimeSpan.FromSeconds(5));
        var servicesLeft = await SurvivorsAsync(services, killed, TimeSpan.FromSeconds(15));
        var leftovers = Leftovers.Of(first);
        var described = storesLeft.Concat(servicesLeft).Union(leftovers).Select(pid => $"{pid} {ProcFs.CommandLine(pid)}").ToList();
        foreach (var pid in storesLeft.Concat(servicesLeft).Union(leftovers))
        {
            // A failure must not leave them running either.
            Signals.Send(pid, Signals.SIGKILL);
        }
        Assert.True(described.Count == 0,
            $"{storesLeft.Count} store processes outlived the AppHost by 5 s, {servicesLeft.Count} services by 15 s, " +
            $"{leftovers.Count} of its processes in all: {string.Join("; ", described)}");

        // What the children did when their parent died left the stores fit to start again.
        var again = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(Cancellation);
        again.StateDirectory = first.StateDirectory;
        await using var second = await again.BuildAsync(Cancellation);
        await second.StartAsync(Cancellation);
        using var client = second.CreateHttpClient("apiservice");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Cancellation)).StatusCode);
    }

    /// <summary>Pids with their start times: together they name one process for good, even once the pid is reused.</summary>
    private static List<(int Pid, string? Started)> Identify(IEnumerable<int> pids) =>
        pids.Select(pid => (pid, Signals.StartTimeOf(pid))).ToList();

    /// <summary>Which of <paramref name="processes"/> still run <paramref name="within"/> after <paramref name="since"/>.</summary>
    private static async Task<List<int>> SurvivorsAsync(List<(int Pid, string? Started)> processes, long since, TimeSpan within)
    {
        while (true)
        {
            var alive = processes.Where(p => Signals.IsAlive(p.Pid) && Signals.StartTimeOf(p.Pid) == p.Started).Select(p => p.Pid).ToList();
            if (alive.Count == 0 || Stopwatch.GetElapsedTime(since) > within)
            {
                return alive;
            }
            await Task.Delay(100, Cancellation);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {timeout}");
            await Task.Delay(100, Cancellation);
        }
    }
}
