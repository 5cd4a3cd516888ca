using System.Net;
using Q4.Tests.Hosting;
using Q4.Tests.Users;

namespace Q4.Tests.Auctions;

public sealed class LiveEventsTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task Watchers_on_both_replicas_see_every_bid_in_the_same_order()
    {
        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var onFirst = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id);
        using var onSecond = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id);

        var bidders = new[] { TestUser.Fresh(App), TestUser.Fresh(App) };
        var placed = new List<BidResponse>();
        for (var i = 0; i < 30; i++)
        {
            placed.Add(await bidders[i % 2].PlaceBidAsync(auction.Id, 100 + i * 10, replica: (i / 2) % 2));
        }

        foreach (var feed in new[] { onFirst, onSecond })
        {
            var events = await feed.TakeAsync(30);
            Assert.All(events, e => Assert.Equal("bid", e.Type));
            Assert.Equal(placed.Select(bid => bid.Id), events.Select(e => e.Data.GetProperty("id").GetString()));
            Assert.Equal(placed.Select(bid => bid.Amount), events.Select(e => e.Data.GetProperty("amount").GetInt64()));
            Assert.Equal(placed.Select(bid => bid.Bidder.Id), events.Select(e => e.Data.GetProperty("bidder").GetProperty("id").GetGuid()));
            Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        }
        foreach (var bidder in bidders)
        {
            bidder.Dispose();
        }
    }

    [Fact]
    public async Task A_watcher_that_reconnects_with_its_last_event_id_misses_nothing_and_sees_nothing_twice()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        var amount = 100L;
        async Task PlaceAsync(int count)
        {
            for (var i = 0; i < count; i++, amount += 10)
            {
                await bidder.PlaceBidAsync(auction.Id, amount, replica: i % 2);
            }
        }

        List<LiveEvent> before;
        using (var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id))
        {
            await PlaceAsync(10);
            before = await feed.TakeAsync(10);
        }
        await PlaceAsync(10); // while disconnected

        using var resumed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id, before[^1].Id);
        var missed = await resumed.TakeAsync(10);
        await PlaceAsync(5);
        var live = await resumed.TakeAsync(5);

        var all = before.Concat(missed).Concat(live).ToList();
        Assert.Equal(Enumerable.Range(0, 25).Select(i => 100L + i * 10), all.Select(e => e.Data.GetProperty("amount").GetInt64()));
        Assert.Equal(25, all.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task An_auction_names_the_newest_event_its_values_reflect_and_a_stream_from_there_misses_nothing()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var word = SearchClient.UniqueWord();
        var auction = await seller.CreateAuctionAsync(title: $"Sextant {word}");
        Assert.Null(auction.LastEventId);
        Assert.Null((await seller.GetAuctionAsync(auction.Id)).LastEventId);

        using var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id);
        for (var i = 0; i < 3; i++)
        {
            await bidder.PlaceBidAsync(auction.Id, 100 + i * 10, replica: i % 2);
        }
        var events = await feed.TakeAsync(3);
        for (var replica = 0; replica < 2; replica++)
        {
            var view = await seller.GetAuctionAsync(auction.Id, replica);
            Assert.Equal((120, 3, events[^1].Id), (view.CurrentPrice, view.BidCount, view.LastEventId));
        }
        // Lists say the same of each auction (the search's rows are reused for a moment; its live values are not).
        var listed = Assert.Single((await App.CreateHttpClient("apiservice", 1).SearchAsync($"q={word}")).Items);
        Assert.Equal((120, events[^1].Id), (listed.CurrentPrice, listed.LastEventId));

        // A client that showed those values and opens the stream from there gets what came after, and nothing before.
        var shown = (await seller.GetAuctionAsync(auction.Id)).LastEventId;
        await bidder.PlaceBidAsync(auction.Id, 130);
        using var from = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), $"/auctions/{auction.Id}/events?lastEventId={shown}");
        var next = Assert.Single(await from.TakeAsync(1));
        Assert.Equal(130, next.Data.GetProperty("amount").GetInt64());
        Assert.Equal(next.Id, (await seller.GetAuctionAsync(auction.Id)).LastEventId);
    }

    [Fact]
    public async Task Events_of_an_unknown_auction_are_404_and_a_malformed_last_event_id_is_400()
    {
        using var client = App.CreateHttpClient("apiservice");
        using var unknown = await client.GetAsync($"/auctions/{Guid.NewGuid()}/events", Cancellation);
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");

        using var seller = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/auctions/{auction.Id}/events");
        request.Headers.Add("Last-Event-ID", "yesterday");
        using var malformed = await client.SendAsync(request, Cancellation);
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest, "invalid_event_id");
    }

    [Fact]
    public async Task A_watcher_resuming_from_an_event_no_longer_kept_is_told_to_reload_then_gets_live_events()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auction = await seller.CreateAuctionAsync();
        for (var i = 0; i < 5; i++)
        {
            await bidder.PlaceBidAsync(auction.Id, 100 + i * 10);
        }
        var kept = await App.RedisAsync(redis => redis.StreamRangeAsync($"q4:auction:{auction.Id}:events"));
        Assert.Equal(5, kept.Length);
        // What the cap on an auction's stream does to a busy auction: the oldest events go.
        await App.RedisAsync(redis => redis.StreamTrimAsync($"q4:auction:{auction.Id}:events", 2));

        using (var fromEvicted = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id, kept[0].Id!))
        {
            var reload = Assert.Single(await fromEvicted.TakeAsync(1));
            Assert.Equal("reload", reload.Type);
            Assert.Equal(kept[^1].Id.ToString(), reload.Id);
            Assert.Equal(auction.Id, reload.Data.GetProperty("auctionId").GetGuid());
            Assert.Equal(kept[0].Id.ToString(), reload.Data.GetProperty("lastEventId").GetString());
            var next = await bidder.PlaceBidAsync(auction.Id, 150);
            var live = Assert.Single(await fromEvicted.TakeAsync(1));
            Assert.Equal(("bid", next.Id), (live.Type, live.Data.GetProperty("id").GetString()));
        }

        // Resuming from an event that is still kept replays the rest, with no reload.
        using var fromKept = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id, kept[3].Id!);
        var replayed = await fromKept.TakeAsync(2);
        Assert.Equal(["bid", "bid"], replayed.Select(e => e.Type));
        Assert.Equal([140L, 150L], replayed.Select(e => e.Data.GetProperty("amount").GetInt64()));
    }

    [Fact]
    public async Task A_bidder_name_that_JSON_must_escape_arrives_as_written_live_and_replayed()
    {
        // bid.lua writes the live event's JSON itself: quotes, backslashes, slashes and non-ASCII must survive it.
        const string name = "Zo\u00eb \"Q\" O'Brien \\ </b> \u00e5\u00df \U0001F989";
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App, name);
        var auction = await seller.CreateAuctionAsync();
        using var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), auction.Id);

        var placed = await bidder.PlaceBidAsync(auction.Id, 100, replica: 0);

        Assert.Equal(name, placed.Bidder.Name);
        var live = Assert.Single(await feed.TakeAsync(1));
        Assert.Equal(placed.Id, live.Data.GetProperty("id").GetString());
        Assert.Equal(name, live.Data.GetProperty("bidder").GetProperty("name").GetString());
        using var replay = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auction.Id, lastEventId: "0-0");
        var replayed = Assert.Single(await replay.TakeAsync(1));
        Assert.Equal(live.Id, replayed.Id);
        Assert.Equal(name, replayed.Data.GetProperty("bidder").GetProperty("name").GetString());
    }
}
