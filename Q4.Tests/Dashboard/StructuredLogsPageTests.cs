using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Playwright;
using Q4.Dashboard.Otlp;
using Q4.Dashboard.Otlp.Proto;
using Q4.Tests.Browser;
using Q4.Tests.Telemetry;
using Q4.Tests.Users;

namespace Q4.Tests.Dashboard;

/// <summary>
/// The structured logs page lists the OTLP log records the dashboard received, newest first and live, filtered by the
/// query string or the form (a trace, a level, an attribute), and opens a record's attributes.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class StructuredLogsPageTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Filtering_by_trace_id_shows_only_that_traces_records_and_a_row_opens_its_attributes()
    {
        var (mine, mineAuction) = await RefuseBidInTraceAsync();
        var (other, otherAuction) = await RefuseBidInTraceAsync();

        var page = await graph.SignedInPageAsync($"/structured?traceId={mine}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Structured logs", Level = 1 })).ToBeVisibleAsync();
        // The bid's record arrives as the API exports it (about a second); the page shows it as it comes.
        await Assertions.Expect(Messages(page).Filter(new() { HasText = mineAuction.ToString() })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText(otherAuction.ToString())).ToHaveCountAsync(0);
        var traceLinks = page.GetByRole(AriaRole.Table, new() { Name = "Log records" }).GetByRole(AriaRole.Link);
        foreach (var link in await traceLinks.AllAsync())
        {
            Assert.Equal(mine, await link.GetAttributeAsync("title"));
        }
        Assert.Equal($"traces/{mine}", await traceLinks.First.GetAttributeAsync("href"));

        // A row opens its attributes: the record's own, its scope and trace, and its resource's.
        await Messages(page).Filter(new() { HasText = mineAuction.ToString() }).ClickAsync();
        var details = page.GetByRole(AriaRole.Complementary, new() { Name = "Log record" });
        await Assertions.Expect(details).ToBeVisibleAsync();
        var attributes = details.GetByRole(AriaRole.Table, new() { Name = "Attributes of the record" });
        await Assertions.Expect(attributes.GetByRole(AriaRole.Row, new() { Name = $"AuctionId {mineAuction}", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(details.GetByRole(AriaRole.Table, new() { Name = "Attributes of the resource" })
            .GetByRole(AriaRole.Row, new() { Name = "service.instance.id apiservice-0", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(details).ToContainTextAsync(mine);
        await Assertions.Expect(details).ToContainTextAsync("Information");
        await page.AssertAccessibleAsync();
        await page.ScreenshotAsync("dashboard-structured");

        // The same filter set through the form: the other trace now. Apply moves the page within the document
        // (no load follows), so the address is polled rather than a navigation awaited.
        var traceField = page.GetByRole(AriaRole.Textbox, new() { Name = "Trace id" });
        await traceField.FillAsync(other);
        await Assertions.Expect(traceField).ToHaveValueAsync(other);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"traceId={other}"));
        await Assertions.Expect(Messages(page).Filter(new() { HasText = otherAuction.ToString() })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Log records" }).GetByText(mineAuction.ToString())).ToHaveCountAsync(0);

        // A wrong trace id is named, and changes neither the address nor the list.
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Trace id" }).FillAsync("not-a-trace");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("A trace id is 32 hexadecimal digits");
        Assert.Contains($"traceId={other}", page.Url);
        await Assertions.Expect(Messages(page).Filter(new() { HasText = otherAuction.ToString() })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Filtering_by_level_and_by_attribute_through_the_address_and_the_form()
    {
        var service = $"structured-test-{Guid.NewGuid():n}";
        var auction = Guid.NewGuid().ToString();
        await PostLogsAsync(service,
            Record(SeverityNumber.Info, "opened the auction", ("q4.auction_id", auction)),
            Record(SeverityNumber.Warn, "a slow bid", ("q4.auction_id", auction)),
            Record(SeverityNumber.Error, "a failed bid", ("q4.auction_id", Guid.NewGuid().ToString())));

        var page = await graph.SignedInPageAsync($"/structured?resource={service}&severity=warning");
        await Assertions.Expect(Messages(page)).ToHaveCountAsync(2);
        await Assertions.Expect(Messages(page).First).ToHaveTextAsync("a failed bid"); // newest first
        await Assertions.Expect(page.GetByText("opened the auction")).ToHaveCountAsync(0);

        await page.GotoAsync($"/structured?resource={service}&attribute=q4.auction_id={auction}");
        await page.WaitForLiveAsync();
        await Assertions.Expect(Messages(page)).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByText("a failed bid")).ToHaveCountAsync(0);

        // The level chosen in the form narrows the same list to the warning.
        await page.Locator("#structured-level").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Warning" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("severity=warning"));
        await Assertions.Expect(Messages(page)).ToHaveCountAsync(1);
        await Assertions.Expect(Messages(page).First).ToHaveTextAsync("a slow bid");

        // An attribute filter without "=" is named and changes nothing.
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Attribute (key=value)" }).FillAsync("q4.auction_id");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("An attribute filter is key=value");
        Assert.Contains($"attribute=q4.auction_id%3D{auction}", page.Url);
        await Assertions.Expect(Messages(page)).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task With_ten_thousand_records_stored_the_page_renders_and_its_time_is_measured()
    {
        var service = $"bulk-test-{Guid.NewGuid():n}";
        for (var batch = 0; batch < 10; batch++)
        {
            await PostLogsAsync(service, [.. Enumerable.Range(batch * 1000, 1000)
                .Select(i => Record(SeverityNumber.Info, $"bulk record {i}", ("q4.index", i.ToString())))]);
        }
        using var dashboard = graph.App.CreateHttpClient("apphost");
        var stored = await dashboard.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/telemetry/logs?resource={service}&limit=1", Cancellation);
        Assert.Equal(10_000, stored.GetProperty("totalCount").GetInt32());

        var page = await graph.SignedInPageAsync("/");
        var clock = Stopwatch.StartNew();
        await page.GotoAsync("/structured");
        await Assertions.Expect(Messages(page).First).ToBeVisibleAsync();
        var firstRender = clock.Elapsed;
        await page.WaitForLiveAsync();
        var live = clock.Elapsed;

        clock.Restart();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Message contains" }).FillAsync("bulk record 4242");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Assertions.Expect(Messages(page)).ToHaveCountAsync(1);
        var filtered = clock.Elapsed;

        clock.Restart();
        await page.GotoAsync($"/structured?resource={service}");
        await page.WaitForLiveAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Go to last page" }).ClickAsync();
        await Assertions.Expect(Messages(page).Last).ToHaveTextAsync("bulk record 0");
        var lastPage = clock.Elapsed;

        var measured = $"/structured with 10,000 records: first render {firstRender.TotalMilliseconds:0} ms, live {live.TotalMilliseconds:0} ms; " +
            $"text filter applied {filtered.TotalMilliseconds:0} ms; one resource's last page {lastPage.TotalMilliseconds:0} ms";
        TestContext.Current.TestOutputHelper?.WriteLine(measured);
        // Kept beside the screenshots too, so a passing run's figures can be read afterwards.
        await File.WriteAllTextAsync(Path.Combine(Pages.ScreenshotDirectory, "dashboard-structured-render.txt"), measured + "\n", Cancellation);
    }

    /// <summary>The message buttons of the list's rows (each opens its record), newest first.</summary>
    private static ILocator Messages(IPage page) =>
        page.GetByRole(AriaRole.Table, new() { Name = "Log records" }).GetByRole(AriaRole.Button, new() { NameRegex = new("^Details of: ") });

    /// <summary>A bid on an auction that does not exist, under a trace of the test's: the API logs the refusal in it.</summary>
    private async Task<(string TraceId, Guid Auction)> RefuseBidInTraceAsync()
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var auction = Guid.NewGuid();
        using var bidder = TestUser.Fresh(graph.App);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/auctions/{auction}/bids") { Content = JsonContent.Create(new { amount = 100 }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using var response = await bidder.Api(0).SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        return (traceId, auction);
    }

    /// <summary>Sends log records as a service of the test's over OTLP/HTTP, with the key, as the services do.</summary>
    private async Task PostLogsAsync(string service, params LogRecord[] records)
    {
        var (endpoint, _, key) = graph.App.OtlpEndpoints();
        using var otlp = new HttpClient { BaseAddress = new Uri(endpoint) };
        var export = new ExportLogsServiceRequest
        {
            ResourceLogs =
            {
                new ResourceLogs
                {
                    Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
                    ScopeLogs = { new ScopeLogs { Scope = new InstrumentationScope { Name = "Q4.Tests" }, LogRecords = { records } } },
                },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/logs") { Content = new ByteArrayContent(export.ToByteArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        request.Headers.Add(OtlpApi.ApiKeyHeader, key);
        using var response = await otlp.SendAsync(request, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static LogRecord Record(SeverityNumber severity, string message, params (string Key, string Value)[] attributes)
    {
        var record = new LogRecord
        {
            TimeUnixNano = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
            SeverityNumber = severity,
            Body = new AnyValue { StringValue = message },
        };
        record.Attributes.AddRange(attributes.Select(a => new KeyValue { Key = a.Key, Value = new AnyValue { StringValue = a.Value } }));
        return record;
    }
}
