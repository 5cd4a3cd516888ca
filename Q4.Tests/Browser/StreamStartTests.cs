using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

/// <summary>
/// A page's event stream starts right after the newest event its rendered values reflect, not at whatever is newest
/// when the stream happens to open: a bid placed between the two (the page on its way, the home page's rows a second
/// old) still reaches the page, once. The tests hold the page's stream request while the bid is placed.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class StreamStartTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_bid_placed_before_the_auction_pages_stream_opens_still_reaches_the_page()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        using var bidder = await TestUser.SignInAsync(graph.App, "bidder162", Cancellation);
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000, title: "Brass telescope");
        await bidder.PlaceBidAsync(auction.Id, 10000);

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        var held = await HoldAsync(page, $"**/auctions/{auction.Id}/events*");
        await page.GotoAsync($"/auctions/{auction.Id}");
        await Assertions.Expect(page.Locator("[data-price]")).ToHaveTextAsync("€100");
        await held.Requested.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        // Between the page's render and its stream.
        await bidder.PlaceBidAsync(auction.Id, 12000);
        held.Release();

        await Assertions.Expect(page.Locator("[data-price]")).ToHaveTextAsync("€120");
        await Assertions.Expect(page.Locator("[data-bid-count-text]")).ToHaveTextAsync("2 bids");
        await bidder.PlaceBidAsync(auction.Id, 13000);
        await Assertions.Expect(page.Locator("[data-price]")).ToHaveTextAsync("€130");
        await Assertions.Expect(page.Locator("[data-bid-count-text]")).ToHaveTextAsync("3 bids");
    }

    [Fact]
    public async Task A_bid_placed_before_the_home_pages_stream_opens_moves_its_cards_once()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        using var bidder = await TestUser.SignInAsync(graph.App, "bidder163", Cancellation);
        // Ends sooner than anything other tests leave open for long, and is the newest: in both rows.
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000, endsIn: TimeSpan.FromMinutes(2), title: "Tin robot");

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        var held = await HoldAsync(page, "**/auctions/events?*");
        await page.OpenHomeShowingAsync(auction.Id);
        var cards = page.Locator($"[data-card-id='{auction.Id}']");
        await Assertions.Expect(cards).ToHaveCountAsync(2);
        await Assertions.Expect(cards.First.Locator("[data-card-price]")).ToHaveTextAsync("€100");
        await held.Requested.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        await bidder.PlaceBidAsync(auction.Id, 12000);
        held.Release();

        for (var i = 0; i < 2; i++)
        {
            await Assertions.Expect(cards.Nth(i).Locator("[data-card-price]")).ToHaveTextAsync("€120");
            await Assertions.Expect(cards.Nth(i).Locator("[data-card-bids]")).ToHaveTextAsync("1 bid");
        }
        await bidder.PlaceBidAsync(auction.Id, 13000);
        for (var i = 0; i < 2; i++)
        {
            await Assertions.Expect(cards.Nth(i).Locator("[data-card-price]")).ToHaveTextAsync("€130");
            await Assertions.Expect(cards.Nth(i).Locator("[data-card-bids]")).ToHaveTextAsync("2 bids");
        }
    }

    /// <summary>Holds the page's requests to <paramref name="url"/> until released; later ones go straight through.</summary>
    private static async Task<Hold> HoldAsync(IPage page, string url)
    {
        var hold = new Hold();
        await page.RouteAsync(url, async route =>
        {
            hold.Requested.TrySetResult();
            await hold.Released.Task;
            await route.ContinueAsync();
        });
        return hold;
    }

    private sealed class Hold
    {
        public TaskCompletionSource Requested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => Released.TrySetResult();
    }
}
