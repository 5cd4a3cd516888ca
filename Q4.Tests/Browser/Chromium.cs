using Microsoft.Playwright;

namespace Q4.Tests.Browser;

/// <summary>
/// Debian's chromium as Playwright drives it here (never a browser Playwright downloads): one per graph of browser
/// tests, each test in a fresh profile of its own.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>How long an action or an expectation waits on this slow, shared machine (Playwright's default is 5 s).</summary>
    private const int Patience = 15_000;

    private readonly IPlaywright _playwright;

    private Chromium(IPlaywright playwright, IBrowser browser) => (_playwright, Browser) = (playwright, browser);

    public IBrowser Browser { get; }

    public static async Task<Chromium> LaunchAsync()
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException($"{Path} is missing: `apt-get install chromium` (.ci/run does).");
        }
        Assertions.SetDefaultExpectTimeout(Patience);
        var playwright = await Playwright.CreateAsync();
        try
        {
            return new Chromium(playwright, await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Path, Args = Arguments }));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh profile (cookies of its own) on <paramref name="baseUrl"/>, in English and Berlin's time zone.</summary>
    public async Task<IBrowserContext> NewContextAsync(string baseUrl, ViewportSize viewport, bool javaScript = true, bool phone = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            JavaScriptEnabled = javaScript,
            ViewportSize = viewport,
            IsMobile = phone,
            Locale = "en-US",
            TimezoneId = "Europe/Berlin",
        });
        context.SetDefaultTimeout(Patience);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
