using System.Net;
using Q4.Tests.Hosting;
using Q4.Tests.Users;

namespace Q4.Tests.Auctions;

/// <summary><c>GET /auctions/events?ids=</c>: one stream for the events of several auctions, as a list page holds.</summary>
public sealed class LiveEventsOfManyTests(GraphFixture graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private AppHostProcess App => graph.App;

    [Fact]
    public async Task The_bids_of_several_auctions_arrive_on_one_stream_each_naming_its_auction()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auctions = new[] { await seller.CreateAuctionAsync(), await seller.CreateAuctionAsync(), await seller.CreateAuctionAsync() };
        using var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), auctions.Select(a => a.Id));

        var placed = new List<BidResponse>();
        for (var i = 0; i < 12; i++)
        {
            placed.Add(await bidder.PlaceBidAsync(auctions[i % 3].Id, 100 + i / 3 * 10, replica: i % 2));
        }

        var events = await feed.TakeAsync(12);
        Assert.All(events, e => Assert.Equal("bid", e.Type));
        foreach (var auction in auctions)
        {
            Assert.Equal(placed.Where(bid => bid.AuctionId == auction.Id).Select(bid => bid.Id),
                events.Where(e => e.Data.GetProperty("auctionId").GetGuid() == auction.Id).Select(e => e.Data.GetProperty("id").GetString()));
        }
        Assert.Equal(12, events.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task A_watcher_that_reconnects_with_its_last_event_id_gets_exactly_what_each_auction_had_meanwhile()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var auctions = new[] { await seller.CreateAuctionAsync(), await seller.CreateAuctionAsync(), await seller.CreateAuctionAsync() };
        var ids = auctions.Select(a => a.Id).ToList();
        var next = ids.ToDictionary(id => id, _ => 100L);
        var placed = new List<BidResponse>();
        async Task PlaceAsync(params int[] which)
        {
            foreach (var i in which)
            {
                placed.Add(await bidder.PlaceBidAsync(ids[i], next[ids[i]], replica: placed.Count % 2));
                next[ids[i]] += 10;
            }
        }

        List<LiveEvent> before;
        using (var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 0), ids))
        {
            await PlaceAsync(0, 1, 0, 1);
            before = await feed.TakeAsync(4);
        }
        // While disconnected: the first and the last auction move, the second does not; the last had no event before.
        await PlaceAsync(0, 2, 2, 0, 2);

        using var resumed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("apiservice", 1), ids, before[^1].Id);
        var missed = await resumed.TakeAsync(5);
        await PlaceAsync(1);
        var live = Assert.Single(await resumed.TakeAsync(1));

        // Exactly the missed ones (the first live event comes right after them), each auction's in order.
        Assert.Equal(placed.Skip(4).Take(5).Select(bid => bid.Id).Order(), missed.Select(e => e.Data.GetProperty("id").GetString()).Order());
        Assert.Equal(placed[^1].Id, live.Data.GetProperty("id").GetString());
        var all = before.Concat(missed).Append(live).ToList();
        foreach (var id in ids)
        {
            Assert.Equal(placed.Where(bid => bid.AuctionId == id).Select(bid => bid.Id),
                all.Where(e => e.Data.GetProperty("auctionId").GetGuid() == id).Select(e => e.Data.GetProperty("id").GetString()));
        }
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task Bad_lists_and_bad_event_ids_are_400_and_unknown_auctions_are_404_naming_them()
    {
        using var client = App.CreateHttpClient("apiservice");
        using var seller = TestUser.Fresh(App);
        var known = new[] { (await seller.CreateAuctionAsync()).Id, (await seller.CreateAuctionAsync()).Id };

        foreach (var query in new[] { "", "?ids=", "?ids=,", $"?ids={known[0]},nope", $"?ids={known[0]},,{known[1]}",
                     $"?ids={string.Join(",", Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()))}" })
        {
            using var refused = await client.GetAsync($"/auctions/events{query}", Cancellation);
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_query");
        }

        // The positions in an event id are those of the auctions asked for: as many, each a stream id.
        foreach (var lastEventId in new[] { "yesterday", "1-0", "1-0.2-0.3-0", "1-0.x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, AuctionClient.EventsOf(known));
            request.Headers.Add("Last-Event-ID", lastEventId);
            using var refused = await client.SendAsync(request, Cancellation);
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_event_id");
        }

        var unknown = Guid.NewGuid();
        using var notFound = await client.GetAsync(AuctionClient.EventsOf([known[0], unknown, known[1]]), Cancellation);
        var problem = await ProblemAssert.IsProblemAsync(notFound, HttpStatusCode.NotFound, "not_found");
        Assert.Equal([unknown], problem.GetProperty("unknownIds").EnumerateArray().Select(e => e.GetGuid()));
    }

    [Fact]
    public async Task The_front_end_forwards_the_stream_of_several_auctions_with_its_query_and_last_event_id()
    {
        using var seller = TestUser.Fresh(App);
        using var bidder = TestUser.Fresh(App);
        var ids = new[] { (await seller.CreateAuctionAsync()).Id, (await seller.CreateAuctionAsync()).Id };
        List<LiveEvent> first;
        using (var feed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("frontend"), ids))
        {
            await bidder.PlaceBidAsync(ids[1], 100);
            first = await feed.TakeAsync(1);
        }
        var missed = await bidder.PlaceBidAsync(ids[0], 100);

        using var resumed = await AuctionClient.OpenFeedAsync(App.CreateHttpClient("frontend"), ids, first[0].Id);
        var replayed = Assert.Single(await resumed.TakeAsync(1));
        Assert.Equal((ids[0], missed.Id), (replayed.Data.GetProperty("auctionId").GetGuid(), replayed.Data.GetProperty("id").GetString()));

        using var client = App.CreateHttpClient("frontend");
        using var refused = await client.GetAsync("/auctions/events?ids=nope", Cancellation);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_query");
    }
}
