using Microsoft.Playwright;

namespace Q4.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed class SignInTests(BrowserGraph graph)
{
    [Fact]
    public async Task A_user_signs_in_through_the_providers_page_and_out_again_there_too()
    {
        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.SignInAsync("alice");
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToContainTextAsync("Alice");

        // The browser holds a session key, never a token.
        var cookies = await context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "q4.session");
        Assert.True(session.HttpOnly);
        Assert.True(session.Value.Length < 600, $"the session cookie is {session.Value.Length} characters: tokens in it?");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();

        // Signed out at the provider too: signing in again asks for the password.
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Password")).ToBeVisibleAsync();
    }
}
