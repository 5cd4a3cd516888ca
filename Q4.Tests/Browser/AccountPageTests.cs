using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class AccountPageTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_bidder_sees_their_standing_on_the_auctions_they_bid_on_and_the_seller_their_auctions()
    {
        var word = "acctzq" + Guid.NewGuid().ToString("n")[..8];
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        using var alice = await TestUser.SignInAsync(graph.App, "alice", Cancellation);
        using var bob = await TestUser.SignInAsync(graph.App, "bob", Cancellation);
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000, title: $"Cuckoo clock {word}");
        await alice.PlaceBidAsync(auction.Id, 10000);
        await bob.PlaceBidAsync(auction.Id, 13000);

        await using var aliceContext = await graph.NewContextAsync();
        var alicePage = await aliceContext.NewPageAsync();
        await alicePage.SignInAsync("alice", "/account");
        var aliceItem = await BidItemAsync(alicePage, word);
        await Assertions.Expect(aliceItem).ToContainTextAsync("Outbid");
        await Assertions.Expect(aliceItem).ToContainTextAsync("Your highest bid €100");
        await Assertions.Expect(aliceItem).ToContainTextAsync("€130");
        await alicePage.ScreenshotAsync("account-desktop");
        await alicePage.AssertAccessibleAsync();

        await using var bobContext = await graph.NewContextAsync(phone: true);
        var bobPage = await bobContext.NewPageAsync();
        await bobPage.SignInAsync("bob", "/account");
        var bobItem = await BidItemAsync(bobPage, word);
        await Assertions.Expect(bobItem).ToContainTextAsync("Winning");
        await Assertions.Expect(bobItem).ToContainTextAsync("Your highest bid €130");
        await bobPage.ScreenshotAsync("account-phone");
        await bobPage.AssertAccessibleAsync();

        // Alice bids again: the standings turn.
        await alice.PlaceBidAsync(auction.Id, 14000);
        await alicePage.ReloadAsync();
        await Assertions.Expect(await BidItemAsync(alicePage, word)).ToContainTextAsync("Winning");
        await bobPage.ReloadAsync();
        await Assertions.Expect(await BidItemAsync(bobPage, word)).ToContainTextAsync("Outbid");

        // The seller finds the auction under their own auctions, with its two bids... three now.
        await using var sellerContext = await graph.NewContextAsync();
        var sellerPage = await sellerContext.NewPageAsync();
        await sellerPage.SignInAsync("carol", "/account");
        var mine = sellerPage.Locator("[data-my-auctions] > li", new() { HasText = word });
        await Assertions.Expect(mine).ToContainTextAsync("3 bids");
        await Assertions.Expect(mine).ToContainTextAsync("€140");
    }

    [Fact]
    public async Task A_name_is_changed_with_the_form_and_a_refused_one_says_why_and_changes_nothing()
    {
        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SignInAsync("bidder007", "/account");
        var name = page.GetByLabel("Display name");
        var before = await name.InputValueAsync();

        await name.FillAsync("   ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save name" }).ClickAsync();
        await Assertions.Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(name).ToHaveAccessibleDescriptionAsync(new Regex("must not be empty"));
        await page.ScreenshotAsync("account-errors-desktop");
        await page.AssertAccessibleAsync();
        using (var user = await TestUser.SignInAsync(graph.App, "bidder007", Cancellation))
        {
            Assert.Equal(before, (await user.GetMeAsync(0, Cancellation)).Name);
        }

        var chosen = $"Seven {Guid.NewGuid().ToString("n")[..6]}";
        await name.FillAsync($"  {chosen}  ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save name" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"your name is now “{chosen}”");
        await Assertions.Expect(name).ToHaveValueAsync(chosen);
        await Assertions.Expect(name).Not.ToHaveAttributeAsync("aria-invalid", "true");
        // The header says the new name too, on this page and the next.
        var header = page.Locator("header.top");
        await Assertions.Expect(header).ToContainTextAsync(chosen);
        await page.GotoAsync("/search");
        await Assertions.Expect(header).ToContainTextAsync(chosen);
        using var after = await TestUser.SignInAsync(graph.App, "bidder007", Cancellation);
        Assert.Equal(chosen, (await after.GetMeAsync(1, Cancellation)).Name);
    }

    /// <summary>
    /// The list shows persisted bids, which trail the live ones by the sync service's lag: reloads until the
    /// auction is listed (the standing itself is live).
    /// </summary>
    private static async Task<ILocator> BidItemAsync(IPage page, string word)
    {
        var item = page.Locator("[data-my-bids] > li", new() { HasText = word });
        for (var attempt = 0; attempt < 60 && await item.CountAsync() == 0; attempt++)
        {
            await Task.Delay(250, Cancellation);
            await page.ReloadAsync();
        }
        await Assertions.Expect(item).ToHaveCountAsync(1);
        return item;
    }
}
