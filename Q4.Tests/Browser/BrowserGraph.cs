using Microsoft.Playwright;
using Q4.Tests.Hosting;

namespace Q4.Tests.Browser;

/// <summary>
/// A graph of its own for the browser tests, with Debian's chromium driven by Playwright. Access tokens live
/// <see cref="AccessTokenLifetime"/> here, so a test sees one expire and be refreshed within a minute.
/// </summary>
public class BrowserGraph : IAsyncLifetime
{
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromSeconds(40);

    /// <summary>The front end refreshes a token this long before it expires.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromSeconds(10);

    /// <summary>A bid this close to the end moves it (the API's default is two minutes; tests wait less).</summary>
    public static readonly TimeSpan SoftCloseWindow = TimeSpan.FromSeconds(15);

    private AppHostProcess? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public AppHostProcess App => _app ?? throw new InvalidOperationException("The graph did not start.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser did not start.");

    public string FrontendUrl => App.GetUrls("frontend")[0];

    public async ValueTask InitializeAsync()
    {
        _app = await Q4AppHostFactory.StartAsync(TestContext.Current.CancellationToken,
            $"--AppHost:Environment:identity:DevIdentity__AccessTokenLifetime={AccessTokenLifetime}",
            $"--AppHost:Environment:frontend:SignIn__RefreshBefore={RefreshBefore}",
            $"--AppHost:Environment:apiservice:Bidding__SoftCloseWindow={SoftCloseWindow}");
        // Slow machines: an expectation waits as long as an action may (the default is 5 s).
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.Path,
            Args = Chromium.Arguments,
        });
    }

    /// <summary>A fresh browser profile (cookies of its own) at desktop size, or phone size.</summary>
    public async Task<IBrowserContext> NewContextAsync(bool javaScript = true, bool phone = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = FrontendUrl,
            JavaScriptEnabled = javaScript,
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
            IsMobile = phone,
            Locale = "en-US",
            TimezoneId = "Europe/Berlin",
        });
        context.SetDefaultTimeout(15_000);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserGraph>
{
    public const string Name = "browser";
}
