using Microsoft.Playwright;
using Q4.Tests.Browser;

namespace Q4.Tests.Dashboard;

/// <summary>
/// A graph of its own for the dashboard's pages, and Debian's chromium to open them: the tests here stop and restart
/// its processes, so they share it with no other collection.
/// </summary>
public sealed class DashboardGraph : IAsyncLifetime
{
    private AppHostProcess? _app;
    private Chromium? _chromium;

    public AppHostProcess App => _app ?? throw new InvalidOperationException("The graph did not start.");

    private Chromium Chromium => _chromium ?? throw new InvalidOperationException("The browser did not start.");

    public string DashboardUrl => App.GetUrls("apphost")[0];

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Q4_AppHost>(TestContext.Current.CancellationToken);
        _app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _chromium = await Chromium.LaunchAsync();
    }

    /// <summary>A fresh browser profile at desktop size, not signed in.</summary>
    public Task<IBrowserContext> NewContextAsync() => Chromium.NewContextAsync(DashboardUrl, new ViewportSize { Width = 1440, Height = 900 });

    /// <summary>
    /// A page signed in the way a developer signs in: the login address the AppHost printed, which leaves a cookie and
    /// lands on the resources; then <paramref name="path"/>, once the page is live (its circuit connected).
    /// </summary>
    public async Task<IPage> SignedInPageAsync(string path = "/")
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(App.DashboardLoginUrl);
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        if (path != "/")
        {
            await page.GotoAsync(path);
        }
        await page.WaitForLiveAsync();
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardGraph>
{
    public const string Name = "dashboard";
}

/// <summary>What dashboard tests do again and again.</summary>
public static class DashboardPages
{
    /// <summary>
    /// Waits until the page's interactive circuit is up (the layout marks itself with <c>data-live</c> once it
    /// rendered interactively), so clicks reach the server.
    /// </summary>
    public static Task WaitForLiveAsync(this IPage page) =>
        Assertions.Expect(page.Locator("html[data-live='true'], [data-live='true']").First).ToBeAttachedAsync();
}
