using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Browser;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The search page: free text across span names, log messages and attribute values, its spans linked to their trace
/// and its log records to their trace's structured logs; and what it says with nothing to search or nothing found.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class SearchPageTests(DashboardGraph graph)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Search_finds_the_bid_span_and_the_refusal_log_that_name_the_tests_auction()
    {
        var page = await graph.SignedInPageAsync("/search");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Search", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Type some text and press Search")).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();

        // The auction's id is in the bid's span (q4.auction.id) and in the log of the seller's refused bid.
        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync(title: "Search page clock");
        using (var own = await seller.BidAsync(auction.Id, 500))
        {
            await ProblemAssert.IsProblemAsync(own, HttpStatusCode.Forbidden, "own_auction");
        }
        await bidder.PlaceBidAsync(auction.Id, 100);

        var spans = page.Locator("[data-results='spans'] tbody tr");
        var logs = page.Locator("[data-results='logs'] tbody tr");
        Assert.True(await SyncStore.EventuallyAsync(async () =>
        {
            await page.GetByLabel("Text in span names, log messages and attribute values").FillAsync(auction.Id.ToString());
            await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(auction.Id.ToString()));
            await page.WaitForLiveAsync();
            return await spans.Filter(new() { HasText = "bid.place" }).CountAsync() > 0 && await logs.Filter(new() { HasText = "own_auction" }).CountAsync() > 0;
        }, Arrival, pollMs: 1000), "the span and the log record of the test's auction were not found");

        var span = spans.Filter(new() { HasText = "bid.place" }).First;
        await Assertions.Expect(span).ToContainTextAsync("q4.auction.id");
        await Assertions.Expect(span.GetByRole(AriaRole.Link)).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^/traces/[0-9a-f]{32}$"));
        var log = logs.Filter(new() { HasText = "own_auction" }).First;
        await Assertions.Expect(log).ToContainTextAsync($"on auction {auction.Id}");
        await Assertions.Expect(log.GetByRole(AriaRole.Link)).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^/structured\\?traceId=[0-9a-f]{32}$"));
        await page.AssertAccessibleAsync();
        await page.ScreenshotAsync("dashboard-search");

        await page.GotoAsync($"/search?q=nothing-like-{Guid.NewGuid():n}");
        await page.WaitForLiveAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Nothing kept mentions");
        await Assertions.Expect(spans).ToHaveCountAsync(0);
        await page.AssertAccessibleAsync();
    }
}
