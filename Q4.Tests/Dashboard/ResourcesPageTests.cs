using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Q4.Dashboard.Resources;
using Q4.Tests.Auctions;
using Q4.Tests.Browser;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The resources page and its actions on the real graph: a replica restarted from the page comes back on its port,
/// healthy, with a new pid, and serves bids; a sync replica restarted while bids flow hands its lock over and loses or
/// doubles nothing; secrets stay hidden until asked for. Each test leaves every process running and healthy.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ResourcesPageTests(DashboardGraph graph)
{
    /// <summary>A restart waits for the stop (up to the stop timeout) and the health check: generous, never asserted.</summary>
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(90);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Restarting_an_api_replica_from_the_page_gives_it_a_new_pid_it_becomes_healthy_and_accepts_bids()
    {
        var page = await graph.SignedInPageAsync();
        var before = await ReplicaAsync("apiservice", "apiservice-1");
        var row = page.Locator("tr[data-process='apiservice-1']");
        await Assertions.Expect(row.Locator("td.q4-pid")).ToHaveTextAsync(before.Pid.ToString());

        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10);
        await bidder.PlaceBidAsync(auction.Id, 100, replica: 1);

        var clock = Stopwatch.StartNew();
        await page.GetByRole(AriaRole.Button, new() { Name = "Restart apiservice-1", Exact = true }).ClickAsync();
        await Assertions.Expect(row.Locator("td.q4-pid")).Not.ToHaveTextAsync(before.Pid.ToString(), new() { Timeout = (float)RestartTimeout.TotalMilliseconds });
        await Assertions.Expect(row.Locator(".q4-state")).ToHaveTextAsync("Running", new() { Timeout = (float)RestartTimeout.TotalMilliseconds });
        await Assertions.Expect(row.Locator(".q4-health")).ToHaveTextAsync("Healthy", new() { Timeout = 30_000 });
        Log($"apiservice-1 restarted from the page and healthy again after {clock.Elapsed.TotalSeconds:F1} s");

        var pidOnPage = int.Parse(await row.Locator("td.q4-pid").InnerTextAsync());
        var after = await ReplicaAsync("apiservice", "apiservice-1");
        Assert.Equal(pidOnPage, after.Pid);
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.Equal(before.Restarts + 1, after.Restarts);
        Assert.Equal(before.Url, after.Url);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("apiservice", Cancellation);
        Assert.DoesNotContain("apiservice-1 (pid", App.Output);

        // Same port, same environment: the clients made before the restart reach the new process, and bids go on.
        for (var amount = 110; amount <= 150; amount += 10)
        {
            await bidder.PlaceBidAsync(auction.Id, amount, replica: amount / 10 % 2 == 0 ? 1 : 0);
        }
        await bidder.PlaceBidAsync(auction.Id, 160, replica: 1);
        Assert.Equal(160, (await seller.GetAuctionAsync(auction.Id, replica: 1)).CurrentPrice);
    }

    [Fact]
    public async Task Restarting_the_sync_lock_holder_while_bids_flow_hands_the_lock_over_and_persists_every_bid_once()
    {
        using var dashboard = App.CreateHttpClient("apphost");
        var replicas = (await ResourceAsync(dashboard, "syncservice")).Processes;
        var holder = await HolderAsync(replicas);
        var holderReplica = replicas.Single(p => p.Pid == holder.Pid);
        var other = replicas.Single(p => p.Pid != holder.Pid);

        using var seller = TestUser.Fresh(App);
        var auctions = new List<AuctionResponse>();
        for (var i = 0; i < 3; i++)
        {
            auctions.Add(await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 5, replica: i % 2));
        }
        var bidders = Enumerable.Range(0, 6).Select(_ => TestUser.Fresh(App)).ToList();
        var accepted = new List<BidResponse>();
        var owners = new List<int>();
        await using (var bidding = new SteadyBidding(bidders, auctions, TimeSpan.FromMilliseconds(20)))
        {
            await bidding.WaitForMoreAcceptedAsync(50, TimeSpan.FromSeconds(60));
            // Who holds the lock, seen every 50 ms while the holder restarts.
            using var watching = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                while (!watching.IsCancellationRequested)
                {
                    if (await App.LockOwnerAsync() is { } owner && (owners.Count == 0 || owners[^1] != owner.Pid))
                    {
                        owners.Add(owner.Pid);
                    }
                    await Task.Delay(50, CancellationToken.None);
                }
            }, CancellationToken.None);

            var clock = Stopwatch.StartNew();
            using (var restart = await dashboard.PostAsync($"/api/resources/{holderReplica.Name}/restart", null, Cancellation))
            {
                Assert.True(restart.StatusCode == HttpStatusCode.OK, await restart.Content.ReadAsStringAsync(Cancellation));
                var resource = (await restart.Content.ReadFromJsonAsync<ResourceSnapshot>(Cancellation))!;
                var restarted = resource.Processes.Single(p => p.Name == holderReplica.Name);
                Assert.NotEqual(holderReplica.Pid, restarted.Pid);
                Assert.Equal("Running", restarted.State);
                Assert.Equal("Healthy", resource.State);
            }
            Log($"{holderReplica.Name} (pid {holder.Pid}, the lock holder) restarted in {clock.Elapsed.TotalSeconds:F1} s");
            await bidding.WaitForMoreAcceptedAsync(100, TimeSpan.FromSeconds(60));
            accepted.AddRange(await bidding.StopAsync());
            await watching.CancelAsync();
            await watcher;
            Log($"{accepted.Count} bids accepted, {bidding.Undecided} undecided answers retried; lock holders in turn: {string.Join(" → ", owners)}");
        }

        // The holder let go on SIGTERM (no waiting for its lease to run out) and the other replica took over.
        Assert.Equal(holder.Pid, owners[0]);
        Assert.Contains(other.Pid, owners);
        using (var log = await dashboard.GetAsync($"/logs/{holderReplica.Name}", Cancellation))
        {
            Assert.Contains($"Released the sync lock (fence", await log.Content.ReadAsStringAsync(Cancellation));
        }
        Assert.DoesNotContain($"{holderReplica.Name} (pid {holder.Pid}) exited unexpectedly", App.Output);

        await App.AssertAllPersistedAsync(accepted, TimeSpan.FromSeconds(60));
        var now = await ResourceAsync(dashboard, "syncservice");
        Assert.Equal("Healthy", now.State);
        Assert.Contains((await App.LockOwnerAsync())!.Pid, now.Processes.Select(p => p.Pid));
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    [Fact]
    public async Task The_details_hide_a_connection_strings_password_until_show_is_pressed()
    {
        var password = App.GetConnectionString("redis").Split(',').Select(p => p.Split('=', 2)).Single(p => p[0] == "password")[1];
        var page = await graph.SignedInPageAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Details of apiservice-0", Exact = true }).ClickAsync();

        var details = page.Locator("section.q4-details");
        await Assertions.Expect(details.GetByRole(AriaRole.Heading, new() { Name = "Details: apiservice-0" })).ToBeVisibleAsync();
        var redis = details.Locator("td[data-variable='ConnectionStrings__redis']");
        await Assertions.Expect(redis).ToContainTextAsync($"password={SecretMask.Hidden}");
        // The health endpoint's answer, with the reasons the key shows, and the references.
        await Assertions.Expect(details.GetByRole(AriaRole.Table, new() { Name = "Health of apiservice-0" })).ToContainTextAsync("Healthy");
        await Assertions.Expect(details.Locator("dl")).ToContainTextAsync("redis");
        Assert.DoesNotContain(password, await page.ContentAsync());
        await TallScreenshotAsync(page, "dashboard-resource-details");

        await details.GetByRole(AriaRole.Button, new() { Name = "Show ConnectionStrings__redis", Exact = true }).ClickAsync();
        await Assertions.Expect(redis).ToContainTextAsync($"password={password}");
        await details.GetByRole(AriaRole.Button, new() { Name = "Hide ConnectionStrings__redis", Exact = true }).ClickAsync();
        await Assertions.Expect(redis).ToContainTextAsync($"password={SecretMask.Hidden}");
        Assert.DoesNotContain(password, await page.ContentAsync());
    }

    [Fact]
    public async Task Actions_on_unknown_or_unstoppable_resources_are_refused_and_a_stopped_replica_is_no_crash()
    {
        using var dashboard = App.CreateHttpClient("apphost");
        using (var unknown = await dashboard.PostAsync("/api/resources/nosuchservice/restart", null, Cancellation))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "unknown_resource");
        }
        using (var action = await dashboard.PostAsync("/api/resources/apiservice-0/explode", null, Cancellation))
        {
            await ProblemAssert.IsProblemAsync(action, HttpStatusCode.NotFound, "unknown_action");
        }
        using (var store = await dashboard.PostAsync("/api/resources/redis/stop", null, Cancellation))
        {
            await ProblemAssert.IsProblemAsync(store, HttpStatusCode.Conflict, "action_not_allowed");
        }
        using (var database = await dashboard.PostAsync("/api/resources/q4db/restart", null, Cancellation))
        {
            await ProblemAssert.IsProblemAsync(database, HttpStatusCode.Conflict, "action_not_allowed");
        }
        using (var running = await dashboard.PostAsync("/api/resources/frontend/start", null, Cancellation))
        {
            await ProblemAssert.IsProblemAsync(running, HttpStatusCode.Conflict, "action_not_allowed");
        }

        // Stopped on purpose: Stopped (the resource Degraded), not "exited unexpectedly"; started again, all is healthy.
        var page = await graph.SignedInPageAsync();
        var before = await ReplicaAsync("syncservice", "syncservice-0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop syncservice-0", Exact = true }).ClickAsync();
        var row = page.Locator("tr[data-process='syncservice-0']");
        await Assertions.Expect(row.Locator(".q4-state")).ToContainTextAsync("Stopped", new() { Timeout = (float)RestartTimeout.TotalMilliseconds });
        await Assertions.Expect(page.Locator("tr[data-resource='syncservice'] .q4-state")).ToHaveTextAsync("Degraded");
        await TallScreenshotAsync(page, "dashboard-resources-stopped");
        Assert.DoesNotContain($"syncservice-0 (pid {before.Pid}) exited unexpectedly", App.Output);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop syncservice-0", Exact = true })).ToBeDisabledAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Start syncservice-0", Exact = true }).ClickAsync();
        await Assertions.Expect(row.Locator(".q4-state")).ToHaveTextAsync("Running", new() { Timeout = (float)RestartTimeout.TotalMilliseconds });
        await App.ResourceNotifications.WaitForResourceHealthyAsync("syncservice", Cancellation);
        await Assertions.Expect(page.Locator("tr[data-resource='syncservice'] .q4-state")).ToHaveTextAsync("Healthy");
        await Assertions.Expect(page.Locator("svg.q4-graph")).ToBeVisibleAsync();
        await TallScreenshotAsync(page, "dashboard-resources");
        await page.AssertAccessibleAsync();
    }

    /// <summary>The layout scrolls inside its body, so a full-page shot shows one screen: the window grows to hold it all.</summary>
    private static async Task TallScreenshotAsync(IPage page, string name)
    {
        var height = await page.EvaluateAsync<int>("() => document.querySelector('main').scrollHeight + 120");
        await page.SetViewportSizeAsync(1440, Math.Max(900, height));
        await page.ScreenshotAsync(name);
        await page.SetViewportSizeAsync(1440, 900);
    }

    private async Task<ProcessSnapshot> ReplicaAsync(string resource, string replica)
    {
        using var dashboard = App.CreateHttpClient("apphost");
        return (await ResourceAsync(dashboard, resource)).Processes.Single(p => p.Name == replica);
    }

    private static async Task<ResourceSnapshot> ResourceAsync(HttpClient dashboard, string name) =>
        (await dashboard.GetFromJsonAsync<List<ResourceSnapshot>>("/api/resources", Cancellation))!.Single(r => r.Name == name);

    /// <summary>The sync lock's holder, once one of <paramref name="replicas"/> holds it.</summary>
    private async Task<LockOwner> HolderAsync(IReadOnlyList<ProcessSnapshot> replicas)
    {
        LockOwner? owner = null;
        await SyncStore.EventuallyAsync(async () => (owner = await App.LockOwnerAsync()) is not null && replicas.Any(p => p.Pid == owner.Pid),
            TimeSpan.FromSeconds(30), pollMs: 100);
        Assert.True(owner is not null && replicas.Any(p => p.Pid == owner.Pid), $"no sync replica holds the lock ({owner?.Value})");
        return owner!;
    }

    private static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);
}
