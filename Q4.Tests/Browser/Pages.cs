using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Q4.Tests.Hosting;

namespace Q4.Tests.Browser;

/// <summary>What browser tests do again and again: sign in through the provider's page, save screenshots, scan with axe.</summary>
public static class Pages
{
    /// <summary>Where screenshots go: under the test output, one folder per run (listed in the README).</summary>
    public static readonly string ScreenshotDirectory =
        Directory.CreateDirectory(System.IO.Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    /// <summary>
    /// Signs in as <paramref name="username"/> the way a person does: the header's link, the provider's login page,
    /// and back to <paramref name="returnPath"/>.
    /// </summary>
    public static async Task SignInAsync(this IPage page, string username, string returnPath = "/")
    {
        await page.GotoAsync($"/account/login?returnUrl={Uri.EscapeDataString(returnPath)}");
        await page.GetByLabel("Username or email").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(Tokens.DevPassword);
        // The way back crosses three processes (provider, front end's code exchange, the page itself); on two cores
        // shared with the whole graph and the browser, a replica that was just started or resumed can take longer than
        // Playwright's 15 s for one click: the click (which waits for the navigation it starts) and the return get 45 s.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(new() { Timeout = 45_000 });
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == returnPath.Split('?')[0], new() { Timeout = 45_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    /// <summary>
    /// Opens the home page once its rows show <paramref name="auctionId"/>: the rows are read at most once a second
    /// for everyone (and the API caches searches for a second too), so a just-listed auction may take two to appear.
    /// </summary>
    public static async Task OpenHomeShowingAsync(this IPage page, Guid auctionId)
    {
        // Asked aside (the page itself loads once, so it opens one stream): once the rows hold it, they keep it.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var home = await page.APIRequest.GetAsync("/");
            if ((await home.TextAsync()).Contains($"data-card-id=\"{auctionId}\""))
            {
                break;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        await page.GotoAsync("/");
    }

    /// <summary>Saves the page as <c>screenshots/&lt;name&gt;.png</c> (the whole page) and returns the path.</summary>
    public static async Task<string> ScreenshotAsync(this IPage page, string name)
    {
        var path = System.IO.Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>
    /// Fails with the list of every serious or critical accessibility violation axe finds on the page. Axe is a script:
    /// in a context with JavaScript off it never answers, so this fails after a minute saying so.
    /// </summary>
    public static async Task AssertAccessibleAsync(this IPage page)
    {
        // A Blazor page replaces its prerendered <title> when its circuit starts; scanned in that instant it has none.
        // So the scan waits a little for a title: a page that has none at all still fails below, with axe's words.
        try
        {
            await page.WaitForFunctionAsync("() => document.title.length > 0", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            // No title yet: axe says so below.
        }
        AxeResult result;
        try
        {
            result = await page.RunAxe().WaitAsync(TimeSpan.FromMinutes(1));
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{page.Url}: axe did not answer; it cannot scan a page whose context has JavaScript off.");
        }
        var severe = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(severe.Count == 0, $"{page.Url}: " + string.Join("\n", severe.Select(Describe)));
    }

    private static string Describe(AxeResultItem violation) =>
        $"{violation.Impact} {violation.Id}: {violation.Help} at {string.Join(", ", violation.Nodes.Take(5).Select(n => n.Target?.ToString()))}";
}
