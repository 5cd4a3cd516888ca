using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Images;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

/// <summary>The home page's rows of cards, whose prices move live through one event stream for the whole page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class HomePageTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_cards_show_the_newest_and_soonest_ending_auctions_and_their_prices_move_live()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        using var bidder = await TestUser.SignInAsync(graph.App, "bidder161", Cancellation);
        var photo = (await seller.UploadImageAsync(ImageFiles.Png())).Id;
        // Ends sooner than anything other tests leave open for long, and is the newest: in both rows.
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000, endsIn: TimeSpan.FromMinutes(3), title: "Art deco <i>lamp</i>", imageIds: [photo]);

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        var streams = 0;
        page.Request += (_, request) => streams += new Uri(request.Url).AbsolutePath.EndsWith("/events") ? 1 : 0;
        await page.OpenHomeShowingAsync(auction.Id);
        var cards = page.Locator($"[data-card-id='{auction.Id}']");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Ending soon" }).Locator($"[data-card-id='{auction.Id}']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Just listed" }).Locator($"[data-card-id='{auction.Id}']")).ToHaveCountAsync(1);
        await Assertions.Expect(cards.First.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Art deco <i>lamp</i>");
        await Assertions.Expect(cards.First.Locator("[data-card-price]")).ToHaveTextAsync("€100");
        await Assertions.Expect(cards.First.Locator("[data-card-bids]")).ToHaveTextAsync("0 bids");
        await Assertions.Expect(cards.First.Locator("[data-countdown]")).ToContainTextAsync("min");
        // The 1×1 photo, served through the front end's /images.
        await Assertions.Expect(cards.First.Locator("img")).ToHaveJSPropertyAsync("naturalWidth", 1);
        await Assertions.Expect(page.Locator("q4-cards[data-live=open]")).ToHaveCountAsync(1);
        await page.EvaluateAsync("() => window.q4NotReloaded = true");

        await bidder.PlaceBidAsync(auction.Id, 14000);

        // Both cards of the auction move, through the page's one stream, without a reload.
        await Assertions.Expect(cards.Nth(0).Locator("[data-card-price]")).ToHaveTextAsync("€140");
        await Assertions.Expect(cards.Nth(1).Locator("[data-card-price]")).ToHaveTextAsync("€140");
        await Assertions.Expect(cards.Nth(0).Locator("[data-card-bids]")).ToHaveTextAsync("1 bid");
        Assert.True(await page.EvaluateAsync<bool>("() => window.q4NotReloaded === true"), "the page was reloaded");
        Assert.Equal(1, streams);

        await page.ScreenshotAsync("home-desktop");
        await page.AssertAccessibleAsync();

        await using var phoneContext = await graph.NewContextAsync(phone: true);
        var phone = await phoneContext.NewPageAsync();
        await phone.GotoAsync("/");
        await Assertions.Expect(phone.Locator($"[data-card-id='{auction.Id}']").First.Locator("[data-card-price]")).ToHaveTextAsync("€140");
        await phone.ScreenshotAsync("home-phone");
        await phone.AssertAccessibleAsync();
    }

    [Fact]
    public async Task Without_javascript_the_home_page_reads_with_its_cards_linking_to_their_auctions()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000, title: "Cuckoo clock");
        await using var context = await graph.NewContextAsync(javaScript: false);
        var page = await context.NewPageAsync();
        await page.OpenHomeShowingAsync(auction.Id);
        var card = page.GetByRole(AriaRole.Region, new() { Name = "Just listed" }).Locator($"[data-card-id='{auction.Id}']");
        await Assertions.Expect(card.Locator("[data-card-price]")).ToHaveTextAsync("€100");
        await card.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Cuckoo clock");
    }
}
