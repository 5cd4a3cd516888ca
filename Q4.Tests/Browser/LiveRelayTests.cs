using System.Net;
using Q4.Hosting;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

/// <summary>
/// An auction's event stream as the front end relays it: the API's events, ids and replay rules, whether the replay
/// comes from the events the relay keeps or, for a browser further behind, from the API.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveRelayTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Watchers_through_the_front_end_get_the_apis_events_and_resume_from_their_last_one()
    {
        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync();
        var amount = 100L;
        async Task PlaceAsync(int count)
        {
            for (var i = 0; i < count; i++, amount += 10)
            {
                await bidder.PlaceBidAsync(auction.Id, amount, replica: i % 2);
            }
        }

        using var onApi = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("apiservice", 0), auction.Id);
        using var first = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("frontend"), auction.Id);
        using var second = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("frontend"), auction.Id);
        await PlaceAsync(6);
        var expected = await onApi.TakeAsync(6);
        foreach (var feed in new[] { first, second })
        {
            var events = await feed.TakeAsync(6);
            Assert.Equal(expected.Select(e => (e.Id, e.Type, e.Data.ToString())), events.Select(e => (e.Id, e.Type, e.Data.ToString())));
        }

        // A browser back from a dropped connection, its last event among those the relay keeps.
        using var resumed = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("frontend"), auction.Id, expected[2].Id);
        await PlaceAsync(2);
        var more = await onApi.TakeAsync(2);
        Assert.Equal(expected.Skip(3).Concat(more).Select(e => e.Id), (await resumed.TakeAsync(5)).Select(e => e.Id));
        Assert.Equal(more.Select(e => e.Id), (await first.TakeAsync(2)).Select(e => e.Id));
    }

    [Fact]
    public async Task A_watcher_further_back_than_the_relay_keeps_gets_its_replay_from_the_api()
    {
        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync();
        List<LiveEvent> placed;
        using (var onApi = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("apiservice", 1), auction.Id))
        {
            for (var i = 0; i < 4; i++)
            {
                await bidder.PlaceBidAsync(auction.Id, 100 + i * 10);
            }
            placed = await onApi.TakeAsync(4);
        }

        // Nobody watched through the front end while those bids came, so its relay of the auction starts after them.
        using var fresh = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("frontend"), auction.Id);
        using var resumed = await AuctionClient.OpenFeedAsync(graph.App.CreateHttpClient("frontend"), auction.Id, placed[0].Id);
        var replay = await resumed.TakeAsync(3);
        Assert.Equal(placed.Skip(1).Select(e => e.Id), replay.Select(e => e.Id));

        await bidder.PlaceBidAsync(auction.Id, 500);
        var live = Assert.Single(await resumed.TakeAsync(1));
        Assert.Equal(500, live.Data.GetProperty("amount").GetInt64());
        Assert.Equal(live.Id, Assert.Single(await fresh.TakeAsync(1)).Id);
    }

    [Fact]
    public async Task A_stalled_api_replica_does_not_stop_the_relayed_stream()
    {
        // A front-end replica of its own, which gives up on a silent stream after 20 s (the API's heartbeat is 15 s).
        var environment = ServiceProcess.FrontendEnvironment(graph.App);
        environment["Live__UpstreamSilence"] = "00:00:20";
        // And waits long enough for its first stream from the API: a fresh process on a loaded machine has taken more
        // than the default 5 s, and then it forwards the browser to the API directly, which is not what this tests.
        environment["Live__OpenTimeout"] = "00:00:30";
        environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ";
        environment["Logging__Console__UseUtcTimestamp"] = "true";
        await using var frontend = await ServiceProcess.StartAsync(new Projects.Q4_Frontend(), environment, Cancellation);
        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync();
        using var feed = await AuctionClient.OpenFeedAsync(new HttpClient { BaseAddress = new Uri(frontend.Url) }, auction.Id);
        await bidder.PlaceBidAsync(auction.Id, 100);
        var placed = new List<long> { 100 };
        var received = (await feed.TakeAsync(1)).ToList();

        // Each replica in turn stalls (SIGSTOP: its connections stay open, nothing answers) while a bid goes through
        // the other. The relay's stream comes from one of them, so one of the stalls silences it.
        for (var replica = 0; replica < 2; replica++)
        {
            var pid = graph.ApiPid(replica);
            Assert.True(Signals.Send(pid, SyncChaosGraph.SIGSTOP), $"API replica {replica} (pid {pid}) is gone");
            var stopped = DateTime.UtcNow;
            try
            {
                var amount = placed[^1] + 10;
                await bidder.PlaceBidAsync(auction.Id, amount, replica: 1 - replica);
                placed.Add(amount);
                // At worst: 20 s of silence, up to 20 s more on an attempt at the stalled replica, then the replay; on a loaded
                // machine it has taken longer than 60 s once.
                try
                {
                    received.AddRange(await feed.TakeAsync(1, TimeSpan.FromSeconds(120)));
                }
                catch (Exception e)
                {
                    Assert.Fail($"{e.GetType().Name}: {e.Message} at {DateTime.UtcNow:HH:mm:ss.fff} while API replica {replica} (pid {pid}) was " +
                        $"stopped (since {stopped:HH:mm:ss.fff}); the relay (pid {frontend.Pid}, {frontend.Status}, {frontend.Url}) said:\n{frontend.Output}");
                }
            }
            finally
            {
                Signals.Send(pid, SyncChaosGraph.SIGCONT);
            }
        }

        Assert.Equal(placed, received.Select(e => e.Data.GetProperty("amount").GetInt64()));
        await bidder.PlaceBidAsync(auction.Id, placed[^1] + 10);
        Assert.Equal(placed[^1] + 10, Assert.Single(await feed.TakeAsync(1)).Data.GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task The_front_end_passes_on_the_apis_refusals()
    {
        using var client = graph.App.CreateHttpClient("frontend");
        using var unknown = await client.GetAsync($"/auctions/{Guid.NewGuid()}/events", Cancellation);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");

        using var seller = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync();
        // Relayed already, so the malformed id is the relay's to pass on.
        using var watching = await AuctionClient.OpenFeedAsync(client, auction.Id);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/auctions/{auction.Id}/events");
        request.Headers.Add("Last-Event-ID", "yesterday");
        using var malformed = await client.SendAsync(request, Cancellation);
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, "invalid_event_id");
    }
}
