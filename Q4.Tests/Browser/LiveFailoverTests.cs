using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

/// <summary>
/// A watcher's live feed across the death of the API replica its stream comes from: the front end's relay opens the
/// auction's stream again on the other replica from its last event, and the API replays what was missed. The
/// browser's own stream, to the front end, stays open throughout.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveFailoverTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_watcher_keeps_every_bid_once_when_the_api_replica_its_stream_runs_through_is_killed()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        using var bidder = await TestUser.SignInAsync(graph.App, "bidder160", Cancellation);
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000, title: "Ship in a bottle");

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        var streams = new ConcurrentQueue<IRequest>();
        page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath == $"/auctions/{auction.Id}/events")
            {
                streams.Enqueue(request);
            }
        };
        await page.GotoAsync($"/auctions/{auction.Id}");
        await Assertions.Expect(page.Locator("q4-auction[data-live=open]")).ToHaveCountAsync(1);
        // Every bid event the page's EventSource delivers, duplicates included (the page itself would hide them).
        await page.EvaluateAsync("""
            () => {
              window.q4Received = [];
              document.querySelector('q4-auction').source.addEventListener('bid', e => window.q4Received.push(JSON.parse(e.data).amount));
            }
            """);

        var placed = new List<long>();
        async Task BidThroughAsync(int replica)
        {
            var amount = 10000 + 1000L * placed.Count;
            var key = Guid.NewGuid().ToString("n");
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    // A connection the killed replica left in the pool may fail once; the same key makes a retry safe.
                    using var response = await bidder.BidAsync(auction.Id, amount, key, replica);
                    Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
                    break;
                }
                catch (HttpRequestException) when (attempt < 5)
                {
                    await Task.Delay(200, Cancellation);
                }
            }
            placed.Add(amount);
        }

        await BidThroughAsync(1);
        // Each replica in turn: killed, a bid placed while it is down, started again at its address, a bid through it.
        // The relay's stream comes from one of the two, so one of the kills cuts it.
        for (var replica = 0; replica < 2; replica++)
        {
            await graph.KillApiReplicaAsync(replica);
            await BidThroughAsync(1 - replica);
            await graph.RestartApiReplicaAsync(replica);
            await BidThroughAsync(replica);
        }

        var expected = placed.AsEnumerable().Reverse().Select(amount => $"€{amount / 100}").ToList();
        await Assertions.Expect(page.Locator("[data-bid-list] > li .amount")).ToHaveTextAsync(expected.ToArray());
        await Assertions.Expect(page.Locator("q4-auction[data-live=open]")).ToHaveCountAsync(1);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(placed), await page.EvaluateAsync<string>("() => JSON.stringify(window.q4Received)"));
        // The relay's stream was cut and opened again; that the bid placed while it was down arrived, once and in its
        // place, is the replay from Last-Event-ID (a stream opened afresh starts after the newest event). The page
        // noticed nothing: its one stream stayed open.
        Assert.Single(streams);
        await Assertions.Expect(page.Locator("[data-bid-count-text]")).ToHaveTextAsync($"{placed.Count} bids");
    }
}
