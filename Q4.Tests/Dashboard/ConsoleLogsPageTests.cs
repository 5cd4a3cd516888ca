using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Q4.Tests.Browser;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The console logs page follows each process's console as it writes: a line the API writes because of the test's
/// request is on screen within two seconds, and the page filters, pauses and downloads what it shows.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ConsoleLogsPageTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>How soon a line the API writes must be on the page: the check itself, not a measurement.</summary>
    private static readonly LocatorAssertionsToBeVisibleOptions WithinTwoSeconds = new() { Timeout = 2_000 };

    [Fact]
    public async Task A_line_the_api_writes_is_on_screen_within_two_seconds_prefixed_with_its_process_among_all_resources()
    {
        var page = await graph.SignedInPageAsync("/console");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Console logs", Level = 1 })).ToBeVisibleAsync();

        var auction = await RefuseBidAsync(replica: 1);

        var line = Lines(page).Filter(new() { HasText = auction.ToString() });
        await Assertions.Expect(line).ToBeVisibleAsync(WithinTwoSeconds);
        // Every process is shown, so each line starts with its process's name.
        await Assertions.Expect(line).ToContainTextAsync("apiservice-1");
        await Assertions.Expect(line).ToContainTextAsync("refused: not_found");
        await page.AssertAccessibleAsync();
        await page.ScreenshotAsync("dashboard-console");
    }

    [Fact]
    public async Task One_replica_can_be_chosen_and_the_filter_hides_the_lines_without_its_text()
    {
        var page = await graph.SignedInPageAsync("/console?resource=apiservice-0");
        var first = await RefuseBidAsync(replica: 0);
        var second = await RefuseBidAsync(replica: 0);
        var elsewhere = await RefuseBidAsync(replica: 1);
        await Assertions.Expect(Lines(page).Filter(new() { HasText = second.ToString() })).ToBeVisibleAsync(WithinTwoSeconds);
        await Assertions.Expect(Lines(page).Filter(new() { HasText = first.ToString() })).ToBeVisibleAsync();
        // The other replica's line is not shown here, though it was written at the same time.
        await Assertions.Expect(page.GetByText(elsewhere.ToString())).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Filter" }).FillAsync(first.ToString());
        await Assertions.Expect(Lines(page)).ToHaveCountAsync(1);
        await Assertions.Expect(Lines(page).First).ToContainTextAsync(first.ToString());

        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Filter" }).FillAsync("no line holds this " + Guid.NewGuid());
        await Assertions.Expect(Lines(page)).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByText("No line holds")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Paused_the_page_collects_new_lines_and_shows_them_only_on_resume()
    {
        var page = await graph.SignedInPageAsync("/console?resource=apiservice");
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Filter" }).FillAsync("refused");
        var before = await RefuseBidAsync(replica: 0);
        await Assertions.Expect(Lines(page).Filter(new() { HasText = before.ToString() })).ToBeVisibleAsync(WithinTwoSeconds);

        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resume" })).ToBeVisibleAsync();
        var during = await RefuseBidAsync(replica: 1);
        // The page has the line (it counts it) but does not show it.
        await Assertions.Expect(page.GetByText("Paused: 1 new line(s)")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText(during.ToString())).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(Lines(page).Filter(new() { HasText = during.ToString() })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Paused:")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Download_gives_the_selection_as_text_and_an_unknown_resource_is_refused()
    {
        var page = await graph.SignedInPageAsync("/console?resource=apiservice-0");
        var auction = await RefuseBidAsync(replica: 0);
        await Assertions.Expect(Lines(page).Filter(new() { HasText = auction.ToString() })).ToBeVisibleAsync(WithinTwoSeconds);
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Filter" }).FillAsync(auction.ToString());
        await Assertions.Expect(Lines(page)).ToHaveCountAsync(1);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download" }).ClickAsync());
        Assert.Equal("console-apiservice-0.txt", download.SuggestedFilename);
        var text = await File.ReadAllTextAsync((await download.PathAsync())!, Cancellation);
        // The filtered selection: the one line, as the process wrote it (one process: no prefix).
        var only = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("info: ", only);
        Assert.Contains($"{auction} by user", only);

        using var program = graph.App.CreateHttpClient("apphost");
        using (var all = await program.GetAsync($"/api/console?filter={auction}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            Assert.StartsWith("apiservice-0 | info: ", await all.Content.ReadAsStringAsync(Cancellation));
        }
        using (var unknown = await program.GetAsync("/api/console?resource=nosuchservice", Cancellation))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");
        }
        using var stranger = new HttpClient { BaseAddress = new Uri(graph.DashboardUrl) };
        using (var refused = await stranger.GetAsync("/api/console?resource=apiservice-0", Cancellation))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "sign_in_required");
        }
    }

    [Fact]
    public async Task An_unknown_resource_in_the_address_is_named_and_every_process_is_shown()
    {
        var page = await graph.SignedInPageAsync("/console?resource=nosuchservice");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "nosuchservice" })).ToBeVisibleAsync();
        await Assertions.Expect(Lines(page).Filter(new() { HasText = "redis" }).First).ToBeVisibleAsync();
    }

    /// <summary>The console lines the page shows.</summary>
    private static ILocator Lines(IPage page) => page.GetByRole(AriaRole.Log, new() { Name = "Console output" }).Locator(".line");

    /// <summary>A bid on an auction that does not exist: the API replica writes "… on auction {id} … refused: not_found".</summary>
    private async Task<Guid> RefuseBidAsync(int replica)
    {
        var auction = Guid.NewGuid();
        using var bidder = TestUser.Fresh(graph.App);
        using var response = await bidder.Api(replica).PostAsJsonAsync($"/auctions/{auction}/bids", new { amount = 100 }, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        return auction;
    }
}
