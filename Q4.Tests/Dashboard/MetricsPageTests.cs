using System.Globalization;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Browser;
using Q4.Tests.Sync;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The metrics page: Q4's figures at a glance, which follow the bids as the services export their counters (every
/// second), and each instrument of a resource charted, with its series' attribute values as filters.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class MetricsPageTests(DashboardGraph graph)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_accepted_bids_figure_grows_with_the_tests_bids_without_a_reload_and_each_instrument_is_charted()
    {
        var page = await graph.SignedInPageAsync("/metrics");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Metrics", Level = 1 })).ToBeVisibleAsync();
        // The services export every second: the API's instruments are listed once its first export arrived.
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Instruments of apiservice" })).ToBeVisibleAsync();
        var total = page.Locator("[data-figure='bids-accepted'] [data-value='total']");
        var before = await FigureAsync(total);

        using var seller = TestUser.Fresh(graph.App);
        using var bidder = TestUser.Fresh(graph.App);
        var auction = await seller.CreateAuctionAsync(startingPrice: 100, minIncrement: 10, title: "Metrics page lamp");
        for (var bid = 0; bid < 3; bid++)
        {
            await bidder.PlaceBidAsync(auction.Id, 100 + 10 * bid, replica: bid % 2);
        }

        // The same page, not reloaded: it redraws as the counters' new points arrive.
        var shown = before;
        Assert.True(await SyncStore.EventuallyAsync(async () => (shown = await FigureAsync(total)) >= before + 3, Arrival),
            $"the page showed {shown} bids accepted in all, {before} before the test's three");

        // The counter's chart: a rate per second; the bid duration's: percentiles, filtered by outcome.
        await page.GetByRole(AriaRole.Link, new() { Name = "q4.bids.accepted", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "q4.bids.accepted", Level = 2 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-line='per second']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".chart polyline").First).ToBeAttachedAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "q4.bids.duration", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "q4.bids.duration", Level = 2 })).ToBeVisibleAsync();
        foreach (var line in (string[])["p50", "p90", "p99"])
        {
            await Assertions.Expect(page.Locator($"[data-line='{line}']")).ToBeVisibleAsync();
        }
        var outcome = page.GetByRole(AriaRole.Group, new() { Name = "outcome" });
        var accepted = outcome.GetByRole(AriaRole.Checkbox, new() { Name = "accepted", Exact = true });
        await Assertions.Expect(accepted).ToBeCheckedAsync();
        await accepted.UncheckAsync();
        // The filter holds across the redraws that follow.
        await page.WaitForTimeoutAsync(2_000);
        await Assertions.Expect(accepted).Not.ToBeCheckedAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("instrument=q4.bids.duration"));

        await page.AssertAccessibleAsync();
        await page.ScreenshotAsync("dashboard-metrics");
    }

    /// <summary>The figure as the page shows it now (thousands separated by commas).</summary>
    private static async Task<long> FigureAsync(ILocator figure) =>
        long.Parse((await figure.TextContentAsync())!, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
}
