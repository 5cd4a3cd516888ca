using System.Net;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Hosting;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

/// <summary>
/// A second front-end replica beside the graph's, with no sticky sessions: a browser signed in through one replica is
/// signed in on the other, and a form one replica rendered is accepted by the other. Sessions live in Redis and the
/// keys that protect the cookie and the antiforgery tokens are shared through Redis, so any replica serves anyone.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FrontendReplicaTests(BrowserGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_and_a_form_from_one_replica_are_good_on_another()
    {
        using var seller = await TestUser.SignInAsync(graph.App, "carol", Cancellation);
        var auction = await seller.CreateAuctionAsync(title: "Replicated barometer", startingPrice: 10000, minIncrement: 1000);

        // Same host name as the graph's front end, another port: the browser sends the same cookies to both.
        await using var second = await ServiceProcess.StartAsync(new Projects.Q4_Frontend(), ServiceProcess.FrontendEnvironment(graph.App), Cancellation,
            url: $"http://localhost:{ServiceProcess.FreePort()}");

        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SignInAsync("bidder171", $"/auctions/{auction.Id}");

        // The second replica never saw this sign-in; it reads the session from Redis.
        var account = await context.NewPageAsync();
        await account.GotoAsync($"{second.Url}/account");
        Assert.Equal("/account", new Uri(account.Url).AbsolutePath);
        await Assertions.Expect(account.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();

        // The bid form the first replica rendered (its antiforgery token, the idempotency key), posted to the second.
        var form = page.Locator("form[data-bid-form]");
        var answer = await context.APIRequest.PostAsync($"{second.Url}/auctions/{auction.Id}/bid", new()
        {
            Form = FormOf(context.APIRequest,
                ("__RequestVerificationToken", await form.Locator("input[name=__RequestVerificationToken]").InputValueAsync()),
                ("IdempotencyKey", await form.Locator("[data-idempotency-key]").InputValueAsync()),
                ("Amount", "100")),
        });
        Assert.Equal((int)HttpStatusCode.OK, answer.Status);

        // The first replica's page shows the bid, as every watcher's does.
        await Assertions.Expect(page.Locator("[data-bid-list] > li").First).ToContainTextAsync("€100");
        await Assertions.Expect(page.Locator("[data-standing]")).ToHaveTextAsync("You are the highest bidder.");

        // A form post without the antiforgery token is refused and places nothing.
        var forged = await context.APIRequest.PostAsync($"{second.Url}/auctions/{auction.Id}/bid", new()
        {
            Form = FormOf(context.APIRequest, ("IdempotencyKey", Guid.NewGuid().ToString()), ("Amount", "500")),
        });
        Assert.Equal((int)HttpStatusCode.BadRequest, forged.Status);
        Assert.Equal(10000, (await seller.GetAuctionAsync(auction.Id)).CurrentPrice);
    }

    private static IFormData FormOf(IAPIRequestContext request, params (string Name, string Value)[] fields)
    {
        var form = request.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }
        return form;
    }
}
