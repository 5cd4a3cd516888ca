using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Q4.Tests.Auctions;
using Q4.Tests.Images;
using Q4.Tests.Users;

namespace Q4.Tests.Browser;

[Collection(BrowserCollection.Name)]
public sealed partial class SellPageTests(BrowserGraph graph)
{
    /// <summary>The API's default <c>Images:MaxBytes</c>, which the test graph keeps.</summary>
    private const int MaxImageBytes = 5 * 1024 * 1024;

    /// <summary>The browser contexts' time zone (<see cref="BrowserGraph.NewContextAsync"/>).</summary>
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_item_is_listed_with_the_photo_that_arrived_and_found_through_search_with_its_photo_served()
    {
        var word = "sellzq" + Guid.NewGuid().ToString("n")[..8];
        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SignInAsync("alice", "/sell");

        await page.GetByLabel("Title").FillAsync($"Brass telescope {word}");
        await page.GetByLabel("Description").FillAsync("Three draws.\nLeather grip, a dent near the eyepiece.");
        await page.GetByLabel("Starting price").FillAsync("25.50");
        await page.GetByLabel("Bid increment").FillAsync("5");
        // A wall-clock time in the browser's zone (Berlin); the API must receive the same instant in UTC.
        var endsLocal = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(2), Berlin);
        var endsText = endsLocal.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        await page.GetByLabel("Ends").FillAsync(endsText);
        await Assertions.Expect(page.GetByText("Times are in your time zone, Europe/Berlin.")).ToBeVisibleAsync();

        // Two photos at once: one over the API's size limit, one small enough.
        byte[] huge = [.. ImageFiles.Png(), .. new byte[MaxImageBytes + 1024]];
        await page.GetByLabel("Choose photos").SetInputFilesAsync(new[]
        {
            new FilePayload { Name = "huge.png", MimeType = "image/png", Buffer = huge },
            new FilePayload { Name = "small.png", MimeType = "image/png", Buffer = ImageFiles.Png() },
        });
        var small = page.Locator("[data-photo-list] li", new() { HasText = "small.png" });
        var large = page.Locator("[data-photo-list] li", new() { HasText = "huge.png" });
        await Assertions.Expect(small.GetByRole(AriaRole.Status)).ToHaveTextAsync("Uploaded");
        await Assertions.Expect(small.Locator("progress")).ToHaveAttributeAsync("value", "100");
        await Assertions.Expect(small.Locator("input[name=imageIds]")).ToHaveCountAsync(1);
        await Assertions.Expect(large.GetByRole(AriaRole.Alert)).ToContainTextAsync("Too large");
        await Assertions.Expect(large.GetByRole(AriaRole.Alert)).ToContainTextAsync($"{MaxImageBytes} bytes");
        await page.ScreenshotAsync("sell-desktop");
        await page.AssertAccessibleAsync();

        // The refused photo is taken off the list before the form is sent.
        await large.GetByRole(AriaRole.Button, new() { Name = "Remove huge.png" }).ClickAsync();
        await Assertions.Expect(large).ToHaveCountAsync(0);
        var imageId = Guid.Parse((await small.Locator("input[name=imageIds]").InputValueAsync())!);

        await page.GetByRole(AriaRole.Button, new() { Name = "List the item" }).ClickAsync();
        await page.WaitForURLAsync(AuctionUrl());
        var auctionId = Guid.Parse(AuctionUrl().Match(page.Url).Groups[1].Value);

        using var reader = await TestUser.SignInAsync(graph.App, "bob", Cancellation);
        var auction = await reader.GetAuctionAsync(auctionId);
        Assert.Equal($"Brass telescope {word}", auction.Title);
        Assert.Equal("Three draws.\nLeather grip, a dent near the eyepiece.", auction.Description);
        Assert.Equal((2550L, 500L), (auction.StartingPrice, auction.MinIncrement));
        Assert.Equal(new[] { imageId }, auction.Images.Select(i => i.Id));
        var expectedEnd = TimeZoneInfo.ConvertTimeToUtc(DateTime.ParseExact(endsText, "yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture), Berlin);
        Assert.Equal(new DateTimeOffset(expectedEnd, TimeSpan.Zero), auction.EndsAt);

        // Found through search, with its photo, which the front end serves from its own origin.
        await page.GotoAsync($"/search?q={word}");
        var result = page.Locator("[data-results] > li");
        await Assertions.Expect(result).ToHaveCountAsync(1);
        await Assertions.Expect(result.Locator("img")).ToHaveAttributeAsync("src", $"/images/{imageId}");
        await Assertions.Expect(result.Locator("img")).ToHaveJSPropertyAsync("naturalWidth", 1);
        var photo = await page.APIRequest.GetAsync($"/images/{imageId}");
        Assert.Equal(200, photo.Status);
        Assert.Equal("image/png", photo.Headers["content-type"]);
        Assert.Equal(ImageFiles.Png(), await photo.BodyAsync());
        await result.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync($"**/auctions/{auctionId}");
    }

    [Fact]
    public async Task The_APIs_field_errors_are_shown_next_to_their_fields_and_the_form_is_kept()
    {
        await using var context = await graph.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SignInAsync("bob", "/sell");

        // Blank once trimmed, and an end already past: the browser lets both through, the API refuses them.
        await page.GetByLabel("Title").FillAsync("   ");
        await page.GetByLabel("Description").FillAsync("Kept after the error.");
        await page.GetByLabel("Starting price").FillAsync("10");
        await page.GetByLabel("Bid increment").FillAsync("1");
        var past = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(-1), Berlin).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        await page.GetByLabel("Ends").FillAsync(past);
        await page.GetByRole(AriaRole.Button, new() { Name = "List the item" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("correct the fields");
        var title = page.GetByLabel("Title");
        await Assertions.Expect(title).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(title).ToHaveAccessibleDescriptionAsync(new Regex("title must be 1 to 200 characters"));
        await Assertions.Expect(page.GetByLabel("Ends")).ToHaveAccessibleDescriptionAsync(new Regex("end must be in the future"));
        await Assertions.Expect(page.GetByLabel("Starting price")).Not.ToHaveAttributeAsync("aria-invalid", "true");
        // What was typed is still there, the time as it was typed in the browser's zone.
        await Assertions.Expect(page.GetByLabel("Description")).ToHaveValueAsync("Kept after the error.");
        await Assertions.Expect(page.GetByLabel("Starting price")).ToHaveValueAsync("10");
        await Assertions.Expect(page.GetByLabel("Ends")).ToHaveValueAsync(past);
        await page.ScreenshotAsync("sell-errors-desktop");
        await page.AssertAccessibleAsync();
    }

    [Fact]
    public async Task Without_script_the_form_uploads_its_photo_and_lists_the_item_in_UTC()
    {
        // Signed in with script (the provider's page), then the form used with script off.
        await using var signIn = await graph.NewContextAsync();
        var signInPage = await signIn.NewPageAsync();
        await signInPage.SignInAsync("carol", "/sell");
        await using var context = await graph.NewContextAsync(javaScript: false, phone: true);
        await context.AddCookiesAsync((await signIn.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly,
            Secure = c.Secure, SameSite = c.SameSite,
        }));
        var page = await context.NewPageAsync();
        await page.GotoAsync("/sell");
        await Assertions.Expect(page.GetByText("Times are in UTC")).ToBeVisibleAsync();
        await page.ScreenshotAsync("sell-phone");

        var word = "plainzq" + Guid.NewGuid().ToString("n")[..8];
        await page.GetByLabel("Title").FillAsync($"Tin robot {word}");
        await page.GetByLabel("Starting price").FillAsync("20");
        await page.GetByLabel("Bid increment").FillAsync("2");
        var endsUtc = DateTime.UtcNow.AddDays(1);
        var endsText = endsUtc.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);
        await page.GetByLabel("Ends").FillAsync(endsText);
        await page.GetByLabel("Choose photos").SetInputFilesAsync(new FilePayload { Name = "robot.gif", MimeType = "image/gif", Buffer = ImageFiles.Gif() });
        await page.GetByRole(AriaRole.Button, new() { Name = "List the item" }).ClickAsync();
        await page.WaitForURLAsync(AuctionUrl());

        using var reader = await TestUser.SignInAsync(graph.App, "bob", Cancellation);
        var auction = await reader.GetAuctionAsync(Guid.Parse(AuctionUrl().Match(page.Url).Groups[1].Value));
        Assert.Equal($"Tin robot {word}", auction.Title);
        Assert.Equal((2000L, 200L), (auction.StartingPrice, auction.MinIncrement));
        Assert.Single(auction.Images);
        Assert.Equal(DateTimeOffset.ParseExact(endsText + "Z", "yyyy-MM-dd'T'HH:mmK", CultureInfo.InvariantCulture), auction.EndsAt);
    }

    [Fact]
    public async Task Each_refused_photo_says_why_and_the_eleventh_upload_of_the_hour_says_when_to_try_again()
    {
        await using var context = await graph.NewContextAsync(phone: true);
        var page = await context.NewPageAsync();
        await page.SignInAsync("bidder009", "/sell");

        // A text file, and a "PNG" that is none: refused by the page, and by the API (which counts neither against the quota).
        var input = page.GetByLabel("Choose photos");
        await input.SetInputFilesAsync(new[]
        {
            new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "not a photo"u8.ToArray() },
            new FilePayload { Name = "fake.png", MimeType = "image/png", Buffer = "not a photo either"u8.ToArray() },
        });
        var items = page.Locator("[data-photo-list] li");
        await Assertions.Expect(items.Filter(new() { HasText = "notes.txt" }).GetByRole(AriaRole.Alert)).ToHaveTextAsync(new Regex("^Not an image"));
        await Assertions.Expect(items.Filter(new() { HasText = "fake.png" }).GetByRole(AriaRole.Alert))
            .ToHaveTextAsync("Not an image this site accepts (JPEG, PNG, WebP or GIF).");

        // Ten photos (the hourly quota) and one more.
        await input.SetInputFilesAsync(Enumerable.Range(1, 11)
            .Select(i => new FilePayload { Name = $"photo{i:00}.png", MimeType = "image/png", Buffer = ImageFiles.Png() }));
        await Assertions.Expect(items).ToHaveCountAsync(13);
        await Assertions.Expect(items.Locator("[role=status]", new() { HasText = "Uploaded" })).ToHaveCountAsync(10);
        // The uploads race for the quota: whichever photo came eleventh is told when the next one is possible.
        var limited = items.GetByRole(AriaRole.Alert).Filter(new() { HasText = "you can upload again at" });
        await Assertions.Expect(limited).ToHaveCountAsync(1);
        await Assertions.Expect(limited).ToHaveTextAsync(new Regex(@"^Too many uploads; you can upload again at \d\d:\d\d\.$"));
        await page.ScreenshotAsync("sell-photo-errors-phone");
        await page.AssertAccessibleAsync();
    }

    [GeneratedRegex(@"/auctions/([0-9a-f-]{36})$")]
    private static partial Regex AuctionUrl();
}
