using System.Net;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class AdminPageTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_blocks_bob_whose_bids_are_then_refused_and_unblocks_him()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        using var bob = await TestUser.SignInAsync(graph.App, "bob", Cancellation);
        using var admin = await TestUser.SignInAsync(graph.App, "admin", Cancellation);
        var bobId = (await bob.GetMeAsync(0, Cancellation)).Id;
        var auction = await seller.CreateAuctionAsync(startingPrice: 10000, minIncrement: 1000);

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SignInAsync("admin", "/admin");
        // The admin's own row offers nothing to press: the API refuses to let an admin block themselves.
        var own = await FindRowAsync(page, (await admin.GetMeAsync(0, Cancellation)).Id);
        await Assertions.Expect(own).ToContainTextAsync("You");
        await Assertions.Expect(own.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await page.GotoAsync("/admin");
        try
        {
            var row = await FindRowAsync(page, bobId);
            await Assertions.Expect(row.GetByRole(AriaRole.Cell, new() { Name = "Active" })).ToBeVisibleAsync();
            await row.GetByRole(AriaRole.Button, new() { Name = "Block" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is blocked");
            row = page.Locator($"tr[data-user='{bobId}']");
            await Assertions.Expect(row.GetByRole(AriaRole.Cell, new() { Name = "Blocked" })).ToBeVisibleAsync();
            await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = "Unblock" })).ToBeVisibleAsync();
            await page.ScreenshotAsync("admin-desktop");
            await page.AssertAccessibleAsync();

            // Every API replica refuses bob's bid once it has heard of the block.
            for (var replica = 0; replica < 2; replica++)
            {
                using var refused = await BidUntilAsync(bob, auction.Id, 10000, replica, HttpStatusCode.Forbidden);
                await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden, "user_blocked");
            }

            await row.GetByRole(AriaRole.Button, new() { Name = "Unblock" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is unblocked");
            await Assertions.Expect(page.Locator($"tr[data-user='{bobId}']").GetByRole(AriaRole.Cell, new() { Name = "Active" })).ToBeVisibleAsync();
            using var accepted = await BidUntilAsync(bob, auction.Id, 20000, 1, HttpStatusCode.Created);
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        }
        finally
        {
            // Bob serves other tests: never leave him blocked.
            using var _ = await admin.Api().PostAsync($"/admin/users/{bobId}/unblock", null, Cancellation);
        }
    }

    [Fact]
    public async Task Users_are_paged_by_cursor_with_a_next_link()
    {
        // More users than one page holds (25).
        for (var i = 0; i < 26; i++)
        {
            using var user = TestUser.Fresh(graph.App);
            await user.GetMeAsync(i % 2, Cancellation);
        }
        await using var context = await graph.NewContextAsync(phone: true);
        var page = await context.NewPageAsync();
        await page.SignInAsync("admin", "/admin");
        var rows = page.Locator("tr[data-user]");
        await Assertions.Expect(rows).ToHaveCountAsync(25);
        var first = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.user)");
        await page.ScreenshotAsync("admin-phone");
        await page.AssertAccessibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("cursor="));
        // Only the second page links back to the first: the new rows are in.
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "First page" })).ToBeVisibleAsync();
        var second = await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.user)");
        Assert.NotEmpty(second);
        Assert.Empty(first.Intersect(second));
    }

    [Fact]
    public async Task A_user_without_the_admin_role_is_shown_the_access_denied_page()
    {
        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SignInAsync("alice");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Admin" })).ToHaveCountAsync(0);
        await page.GotoAsync("/admin");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/account/denied");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).ToHaveCountAsync(0);
        await page.ScreenshotAsync("admin-denied-desktop");
        await page.AssertAccessibleAsync();
    }

    /// <summary>The user's row, on whichever page of the list it is.</summary>
    private static async Task<ILocator> FindRowAsync(IPage page, Guid userId)
    {
        var row = page.Locator($"tr[data-user='{userId}']");
        var next = page.GetByRole(AriaRole.Link, new() { Name = "Next page" });
        while (await row.CountAsync() == 0 && await next.CountAsync() > 0)
        {
            await page.GotoAsync((await next.GetAttributeAsync("href"))!);
        }
        await Assertions.Expect(row).ToHaveCountAsync(1);
        return row;
    }

    /// <summary>A block or unblock reaches every replica through Redis a moment after it is saved: tries until answered <paramref name="status"/>.</summary>
    private static async Task<HttpResponseMessage> BidUntilAsync(TestUser bidder, Guid auctionId, long amount, int replica, HttpStatusCode status)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await bidder.BidAsync(auctionId, amount, replica: replica);
            if (response.StatusCode == status || attempt == 50)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(100, Cancellation);
        }
    }
}
