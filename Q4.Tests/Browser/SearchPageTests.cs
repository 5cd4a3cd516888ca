using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class SearchPageTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_search_lives_in_its_url_sorts_loads_more_and_comes_back_with_the_back_button()
    {
        // 22 auctions under one made-up word: more than the page's 20, priced €100, €110, ... so the order is known.
        var word = "zq" + Guid.NewGuid().ToString("n")[..8];
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        for (var i = 0; i < 22; i++)
        {
            await seller.CreateAuctionAsync(startingPrice: 10000 + 1000 * i, title: $"Lamp {word} number {i:00}");
        }

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/search");
        await page.GetByLabel("Words").FillAsync(word);
        await page.GetByLabel("Sort by").SelectOptionAsync("-price");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).Last.ClickAsync();

        // The choices are in the URL, so the search can be shared.
        // The URL is polled, not waited on with its load event (which a busy machine may report before the wait begins).
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"q={word}.*sort=-price"));
        var results = page.Locator("[data-results] > li");
        await Assertions.Expect(results).ToHaveCountAsync(20);
        await Assertions.Expect(results.First).ToContainTextAsync("number 21");
        await Assertions.Expect(results.First).ToContainTextAsync("€310");
        await page.ScreenshotAsync("search-desktop");
        await page.AssertAccessibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Load more" }).ClickAsync();
        await Assertions.Expect(results).ToHaveCountAsync(22);
        await Assertions.Expect(results.Last).ToContainTextAsync("number 00");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Load more" })).ToHaveCountAsync(0);

        // Another search, then back: the first one returns with its own choices.
        await page.GetByLabel("Sort by").SelectOptionAsync("price");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).Last.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("sort=price"));
        await Assertions.Expect(results.First).ToContainTextAsync("number 00");
        await page.GoBackAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("sort=-price"));
        await Assertions.Expect(results.First).ToContainTextAsync("number 21");
        await Assertions.Expect(page.GetByLabel("Sort by")).ToHaveValueAsync("-price");

        // A shared link opens the same search in another browser.
        await using var other = await graph.NewContextAsync(phone: true);
        var shared = await other.NewPageAsync();
        await shared.GotoAsync($"/search?q={word}&sort=price&maxPrice=120");
        await Assertions.Expect(shared.Locator("[data-results] > li")).ToHaveCountAsync(3);
        await Assertions.Expect(shared.Locator("[data-results] > li").Last).ToContainTextAsync("€120");
        await Assertions.Expect(shared.GetByLabel("Highest price (€)")).ToHaveValueAsync("120");
        // The bounds are euros, cents and all: from €100.01 to €119.99 there is only the €110 lamp.
        await shared.GotoAsync($"/search?q={word}&sort=price&minPrice=100.01&maxPrice=119.99");
        await Assertions.Expect(shared.Locator("[data-results] > li")).ToHaveCountAsync(1);
        await Assertions.Expect(shared.Locator("[data-results] > li")).ToContainTextAsync("€110");
        await shared.ScreenshotAsync("search-phone");
    }

    [Fact]
    public async Task A_search_that_finds_nothing_says_so_and_a_refused_one_says_why()
    {
        await using (var scanned = await graph.NewContextAsync())
        {
            var empty = await scanned.NewPageAsync();
            await empty.GotoAsync($"/search?q=nothing{Guid.NewGuid():n}");
            await Assertions.Expect(empty.GetByText("No auction matches this search.")).ToBeVisibleAsync();
            await empty.AssertAccessibleAsync();
        }

        // Without JavaScript too: the page is a plain GET form.
        await using var context = await graph.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/search?q=nothing{Guid.NewGuid():n}");
        await Assertions.Expect(page.GetByText("No auction matches this search.")).ToBeVisibleAsync();

        await page.GotoAsync("/search?sort=sideways");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("sort must be one of");

        await page.GotoAsync("/search?minPrice=cheap");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("amounts in euros");
        await page.GotoAsync("/search?maxPrice=1.234");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("such as 120 or 120.50");
    }
}
